<?php
/**
 * Connection settings: the Connectors screen (WordPress 7.0+) for the key, a settings page for the rest, a connection test.
 *
 * @package SovereignConnector
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Settings → Sovereign, and Sovereign's card on Settings → Connectors where that screen exists.
 */
class Sovereign_Connector_Admin {

	const PAGE        = 'sovereign-connector';
	const GROUP       = 'sovereign_connector';
	const TEST_ACTION = 'sovereign_connector_test';
	const CONNECTOR   = 'sovereign';

	/**
	 * The client.
	 *
	 * @var Sovereign_Connector_Client
	 */
	private $client;

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
		add_action( 'wp_connectors_init', array( $this, 'register_connector' ) );
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_init', array( $this, 'register_settings' ) );
		add_action( 'admin_post_' . self::TEST_ACTION, array( $this, 'handle_test' ) );
	}

	/**
	 * Whether WordPress has the Connectors API (7.0+): then the key lives on Settings → Connectors.
	 *
	 * @return bool
	 */
	public static function connectors_available() {
		return function_exists( 'wp_get_connectors' ) && function_exists( 'wp_is_connector_registered' );
	}

	/**
	 * Registers Sovereign on the Connectors screen; its key is stored in this plugin's key option.
	 *
	 * @param object $registry WP_Connector_Registry.
	 * @return void
	 */
	public function register_connector( $registry ) {
		if ( ! is_object( $registry ) || ! method_exists( $registry, 'register' ) ) {
			return;
		}
		if ( method_exists( $registry, 'is_registered' ) && $registry->is_registered( self::CONNECTOR ) ) {
			return;
		}
		$registry->register(
			self::CONNECTOR,
			array(
				'name'           => __( 'Sovereign', 'sovereign-connector' ),
				'description'    => __( 'Fraud scoring at checkout and AI features from your self-hosted Sovereign service. Create a key with: sovereign keys create wordpress --features fraud', 'sovereign-connector' ),
				'type'           => 'fraud_prevention',
				'authentication' => array(
					'method'          => 'api_key',
					'credentials_url' => Sovereign_Connector_Options::console_url(),
					'setting_name'    => Sovereign_Connector_Options::API_KEY,
					'constant_name'   => Sovereign_Connector_Options::KEY_CONSTANT,
					'env_var_name'    => Sovereign_Connector_Options::KEY_CONSTANT,
				),
				'plugin'         => array( 'file' => plugin_basename( SOVEREIGN_CONNECTOR_FILE ) ),
			)
		);
	}

	/**
	 * Adds Settings → Sovereign.
	 *
	 * @return void
	 */
	public function add_page() {
		add_options_page( __( 'Sovereign', 'sovereign-connector' ), __( 'Sovereign', 'sovereign-connector' ), 'manage_options', self::PAGE, array( $this, 'render_page' ) );
	}

	/**
	 * Registers the options with their sanitizers.
	 *
	 * @return void
	 */
	public function register_settings() {
		$o = 'Sovereign_Connector_Options';
		register_setting( self::GROUP, $o::URL, array( 'type' => 'string', 'sanitize_callback' => array( $this, 'sanitize_url' ), 'default' => '' ) );
		register_setting( self::GROUP, $o::STORE, array( 'type' => 'string', 'sanitize_callback' => 'sanitize_key', 'default' => '' ) );
		register_setting( self::GROUP, $o::TIMEOUT, array( 'type' => 'number', 'sanitize_callback' => array( $this, 'sanitize_timeout' ), 'default' => $o::MAX_TIMEOUT ) );
		register_setting( self::GROUP, $o::BREAKER_FAILURES, array( 'type' => 'integer', 'sanitize_callback' => 'absint', 'default' => 3 ) );
		register_setting( self::GROUP, $o::BREAKER_COOLDOWN, array( 'type' => 'integer', 'sanitize_callback' => 'absint', 'default' => 60 ) );
		register_setting( self::GROUP, $o::SCORE_ALL, array( 'type' => 'boolean', 'sanitize_callback' => 'rest_sanitize_boolean', 'default' => false ) );
		if ( ! self::connectors_available() ) {
			register_setting( self::GROUP, $o::API_KEY, array( 'type' => 'string', 'sanitize_callback' => array( $this, 'sanitize_key_field' ), 'default' => '' ) );
		}
	}

	/**
	 * Only http(s) URLs; no trailing slash.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_url( $value ) {
		return untrailingslashit( esc_url_raw( trim( (string) $value ), array( 'http', 'https' ) ) );
	}

	/**
	 * The timeout, held to 0.1–4 s.
	 *
	 * @param mixed $value Submitted value.
	 * @return float
	 */
	public function sanitize_timeout( $value ) {
		return Sovereign_Connector_Options::clamp( (float) $value, 0.1, Sovereign_Connector_Options::MAX_TIMEOUT );
	}

	/**
	 * An empty submission keeps the stored key (the field is never filled with it).
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_key_field( $value ) {
		$value = trim( sanitize_text_field( (string) $value ) );
		return '' === $value ? (string) get_option( Sovereign_Connector_Options::API_KEY, '' ) : $value;
	}

	/**
	 * The connection test: nonce and capability checked, result shown once on the settings page.
	 *
	 * @return void
	 */
	public function handle_test() {
		$this->run_test();
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::PAGE ) );
		exit;
	}

	/**
	 * Checks the capability and the nonce, runs the test, keeps its result for the next page view.
	 *
	 * @return void
	 */
	public function run_test() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'sovereign-connector' ), 403 );
		}
		check_admin_referer( self::TEST_ACTION );
		set_transient( self::TEST_ACTION . '_' . get_current_user_id(), $this->client->test_connection(), 60 );
	}

	/**
	 * Settings → Sovereign.
	 *
	 * @return void
	 */
	public function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$o      = 'Sovereign_Connector_Options';
		$result = get_transient( self::TEST_ACTION . '_' . get_current_user_id() );
		echo '<div class="wrap"><h1>' . esc_html__( 'Sovereign', 'sovereign-connector' ) . '</h1>';
		if ( is_array( $result ) ) {
			delete_transient( self::TEST_ACTION . '_' . get_current_user_id() );
			echo '<div class="notice ' . ( $result['ok'] ? 'notice-success' : 'notice-error' ) . '"><p>' . esc_html( $result['message'] ) . '</p></div>';
		}
		echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
		settings_fields( self::GROUP );
		echo '<table class="form-table" role="presentation">';
		$this->row( $o::URL, __( 'Sovereign URL', 'sovereign-connector' ), '<input type="url" class="regular-text" placeholder="https://sovereign.example:8000" name="' . esc_attr( $o::URL ) . '" id="' . esc_attr( $o::URL ) . '" value="' . esc_attr( $o::url() ) . '">' );
		$this->row( $o::API_KEY, __( 'API key', 'sovereign-connector' ), $this->key_field() );
		$this->row( $o::STORE, __( 'Store id', 'sovereign-connector' ), '<input type="text" name="' . esc_attr( $o::STORE ) . '" id="' . esc_attr( $o::STORE ) . '" value="' . esc_attr( $o::store() ) . '"><p class="description">' . esc_html__( 'The id sovereign connect gave this store (its history and settings are used).', 'sovereign-connector' ) . '</p>' );
		$this->row( $o::TIMEOUT, __( 'Checkout timeout (s)', 'sovereign-connector' ), '<input type="number" step="0.1" min="0.1" max="4" name="' . esc_attr( $o::TIMEOUT ) . '" id="' . esc_attr( $o::TIMEOUT ) . '" value="' . esc_attr( (string) $o::timeout() ) . '"><p class="description">' . esc_html__( 'Total time a checkout may wait for Sovereign; 4 s at most. Past it the order proceeds unscored and Sovereign scores it from the webhook.', 'sovereign-connector' ) . '</p>' );
		$this->row( $o::BREAKER_FAILURES, __( 'Pause after failures', 'sovereign-connector' ), '<input type="number" min="1" max="100" name="' . esc_attr( $o::BREAKER_FAILURES ) . '" id="' . esc_attr( $o::BREAKER_FAILURES ) . '" value="' . esc_attr( (string) $o::breaker_failures() ) . '">' );
		$this->row( $o::BREAKER_COOLDOWN, __( 'Pause for (s)', 'sovereign-connector' ), '<input type="number" min="5" max="3600" name="' . esc_attr( $o::BREAKER_COOLDOWN ) . '" id="' . esc_attr( $o::BREAKER_COOLDOWN ) . '" value="' . esc_attr( (string) $o::breaker_cooldown() ) . '">' );
		$this->row( $o::SCORE_ALL, __( 'Also score admin and REST orders', 'sovereign-connector' ), '<input type="checkbox" value="1" name="' . esc_attr( $o::SCORE_ALL ) . '" id="' . esc_attr( $o::SCORE_ALL ) . '"' . checked( $o::score_all_orders(), true, false ) . '>' );
		echo '</table>';
		submit_button();
		echo '</form>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::TEST_ACTION ) . '">';
		wp_nonce_field( self::TEST_ACTION );
		submit_button( __( 'Test connection', 'sovereign-connector' ), 'secondary', 'submit', false );
		if ( '' !== $o::console_url() ) {
			echo ' <a class="button" target="_blank" rel="noopener" href="' . esc_url( $o::console_url() ) . '">' . esc_html__( 'Open Sovereign\'s console', 'sovereign-connector' ) . '</a>';
		}
		echo '</form></div>';
	}

	/**
	 * The key field: never filled with the key; on WordPress 7.0+ a link to the Connectors screen instead.
	 *
	 * @return string HTML.
	 */
	private function key_field() {
		$o      = 'Sovereign_Connector_Options';
		$source = $o::api_key_source();
		if ( 'constant' === $source || 'env' === $source ) {
			/* translators: %s: constant name */
			return esc_html( sprintf( __( 'Set by %s in the server\'s configuration.', 'sovereign-connector' ), $o::KEY_CONSTANT ) );
		}
		if ( self::connectors_available() ) {
			$state = 'database' === $source ? __( 'A key is stored.', 'sovereign-connector' ) : __( 'No key yet.', 'sovereign-connector' );
			return esc_html( $state ) . ' <a href="' . esc_url( admin_url( 'options-connectors.php' ) ) . '">' . esc_html__( 'Manage it on Settings → Connectors', 'sovereign-connector' ) . '</a>';
		}
		$placeholder = 'database' === $source ? __( 'stored — type a new key to replace it', 'sovereign-connector' ) : 'sk-sov-…';
		return '<input type="password" class="regular-text" autocomplete="off" name="' . esc_attr( $o::API_KEY ) . '" id="' . esc_attr( $o::API_KEY ) . '" value="" placeholder="' . esc_attr( $placeholder ) . '">'
			. '<p class="description">' . esc_html__( 'Create a key limited to fraud scoring with: sovereign keys create wordpress --features fraud', 'sovereign-connector' ) . '</p>';
	}

	/**
	 * One form-table row; $field is HTML escaped by its builder.
	 *
	 * @param string $id    Field id.
	 * @param string $label Label.
	 * @param string $field Field HTML.
	 * @return void
	 */
	private function row( $id, $label, $field ) {
		echo '<tr><th scope="row"><label for="' . esc_attr( $id ) . '">' . esc_html( $label ) . '</label></th><td>' . $field . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts above.
	}
}
