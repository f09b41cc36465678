<?php
/**
 * Sovereign's state in wp-admin: an admin-bar dot and a dashboard widget, from a cached health answer.
 *
 * @package SovereignConnector
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Shows ok / degraded / unreachable. Pages only read the cache; a page that found it empty
 * refreshes it after the response is sent (1 s at most), so no admin page ever waits on Sovereign.
 */
class Sovereign_Connector_Status {

	/** Short lock so that concurrent pages refresh the health cache once. */
	const LOCK = 'sovereign_connector_health_lock';

	/**
	 * The client.
	 *
	 * @var Sovereign_Connector_Client
	 */
	private $client;

	/**
	 * Whether this request showed a missing health answer (then it refreshes at shutdown).
	 *
	 * @var bool
	 */
	private $wanted = false;

	/**
	 * Constructor.
	 *
	 * @param Sovereign_Connector_Client $client The client.
	 */
	public function __construct( Sovereign_Connector_Client $client ) {
		$this->client = $client;
	}

	/**
	 * Registers the hooks.
	 *
	 * @return void
	 */
	public function register() {
		add_action( 'wp_dashboard_setup', array( $this, 'add_widget' ) );
		add_action( 'admin_bar_menu', array( $this, 'admin_bar' ), 100 );
		add_action( 'shutdown', array( $this, 'refresh_if_wanted' ) );
	}

	/**
	 * Who may see Sovereign's state.
	 *
	 * @return bool
	 */
	private function can_see() {
		return current_user_can( 'manage_woocommerce' ) || current_user_can( 'manage_options' );
	}

	/**
	 * The cached state: { state, detail, checked_at }, 'unknown' while nothing is cached.
	 *
	 * @return array
	 */
	public function current() {
		$health = $this->client->health( false );
		if ( null === $health ) {
			$this->wanted = true;
			return array(
				'state'      => 'unknown',
				'detail'     => '',
				'checked_at' => 0,
			);
		}
		return $health;
	}

	/**
	 * A state's label and colour.
	 *
	 * @param string $state ok, degraded, unreachable or unknown.
	 * @return array { label, color }
	 */
	public static function describe( $state ) {
		$states = array(
			'ok'          => array( __( 'OK', 'sovereign-connector' ), '#00a32a' ),
			'degraded'    => array( __( 'degraded', 'sovereign-connector' ), '#dba617' ),
			'unreachable' => array( __( 'unreachable', 'sovereign-connector' ), '#d63638' ),
			'unknown'     => array( __( 'checking…', 'sovereign-connector' ), '#8c8f94' ),
		);
		$pair = isset( $states[ $state ] ) ? $states[ $state ] : $states['unknown'];
		return array(
			'label' => $pair[0],
			'color' => $pair[1],
		);
	}

	/**
	 * The admin-bar dot, linking to Sovereign's console.
	 *
	 * @param WP_Admin_Bar $bar The admin bar.
	 * @return void
	 */
	public function admin_bar( $bar ) {
		if ( ! is_admin() || ! $this->can_see() || '' === Sovereign_Connector_Options::url() ) {
			return;
		}
		$health = $this->current();
		$look   = self::describe( $health['state'] );
		$bar->add_node(
			array(
				'id'    => 'sovereign-connector',
				'title' => '<span style="display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;background:' . esc_attr( $look['color'] ) . '"></span>'
					/* translators: %s: ok, degraded, unreachable */
					. esc_html( sprintf( __( 'Sovereign: %s', 'sovereign-connector' ), $look['label'] ) ),
				'href'  => esc_url( Sovereign_Connector_Options::console_url() ),
				'meta'  => array(
					'title'  => esc_attr( $health['detail'] ),
					'target' => '_blank',
				),
			)
		);
	}

	/**
	 * Adds the dashboard widget.
	 *
	 * @return void
	 */
	public function add_widget() {
		if ( $this->can_see() ) {
			wp_add_dashboard_widget( 'sovereign_connector', esc_html__( 'Sovereign', 'sovereign-connector' ), array( $this, 'render_widget' ) );
		}
	}

	/**
	 * The dashboard widget: state, when it was checked, the checkout breaker, links.
	 *
	 * @return void
	 */
	public function render_widget() {
		if ( '' === Sovereign_Connector_Options::url() ) {
			echo '<p>' . esc_html__( 'Not connected yet.', 'sovereign-connector' ) . ' <a href="' . esc_url( admin_url( 'options-general.php?page=sovereign-connector' ) ) . '">' . esc_html__( 'Settings', 'sovereign-connector' ) . '</a></p>';
			return;
		}
		$health = $this->current();
		$look   = self::describe( $health['state'] );
		echo '<p><strong style="color:' . esc_attr( $look['color'] ) . '">&#9679; ' . esc_html( $look['label'] ) . '</strong>';
		if ( '' !== $health['detail'] ) {
			echo ' — ' . esc_html( $health['detail'] );
		}
		if ( $health['checked_at'] > 0 ) {
			/* translators: %s: time since the check, e.g. "1 min" */
			echo '<br><small>' . esc_html( sprintf( __( 'checked %s ago', 'sovereign-connector' ), human_time_diff( (int) $health['checked_at'], time() ) ) ) . '</small>';
		}
		echo '</p>';
		$open_for = $this->client->breaker_open_for();
		if ( $open_for > 0 ) {
			/* translators: %d: seconds */
			echo '<p>' . esc_html( sprintf( __( 'Checkout scoring is paused for %d s after repeated failures; orders proceed and are scored from webhooks.', 'sovereign-connector' ), $open_for ) ) . '</p>';
		}
		echo '<p><a href="' . esc_url( Sovereign_Connector_Options::console_url() ) . '" target="_blank" rel="noopener">' . esc_html__( 'Open Sovereign\'s console', 'sovereign-connector' ) . '</a> · <a href="' . esc_url( admin_url( 'options-general.php?page=sovereign-connector' ) ) . '">' . esc_html__( 'Settings', 'sovereign-connector' ) . '</a></p>';
	}

	/**
	 * After the response: refresh a missing health answer (1 s at most, one request at a time).
	 *
	 * @return void
	 */
	public function refresh_if_wanted() {
		if ( ! $this->wanted || false !== get_transient( self::LOCK ) ) {
			return;
		}
		set_transient( self::LOCK, 1, 10 );
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		}
		$this->client->health( true );
		delete_transient( self::LOCK );
	}
}
