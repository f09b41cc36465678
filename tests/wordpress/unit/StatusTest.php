<?php
/**
 * Sovereign's state in wp-admin: read from a cache, refreshed after the page with a 1 s timeout.
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

require_once __DIR__ . '/TestCase.php';

class Fake_Admin_Bar {
	public $nodes = array();
	public function add_node( $node ) { $this->nodes[ $node['id'] ] = $node; }
}

class StatusTest extends Sovereign_TestCase {

	private function dot() {
		$bar = new Fake_Admin_Bar();
		do_action( 'admin_bar_menu', $bar );
		return isset( $bar->nodes['sovereign-connector'] ) ? $bar->nodes['sovereign-connector'] : null;
	}

	public function test_a_page_never_waits_the_cache_is_filled_after_it_and_kept_a_minute() {
		$this->boot();
		$this->replies[] = self::json( 200, array( 'ready' => true, 'checks' => array( 'degraded' => array( 'degraded' => array() ) ) ) );
		$dot             = $this->dot();
		$this->assertStringContainsString( 'Sovereign: checking…', $dot['title'] );
		$this->assertSame( self::URL . '/console', $dot['href'] );
		$this->assertSame( array(), $this->http(), 'rendering made no call' );

		do_action( 'shutdown' );
		$this->assertCount( 1, $this->http() );
		$this->assertSame( array( self::URL . '/readyz', 1.0 ), array( $this->http()[0]['url'], (float) $this->http()[0]['timeout'] ) );
		$this->assertStringContainsString( 'Sovereign: OK', $this->dot()['title'] );
		$this->assertGreaterThan( time() + 50, $GLOBALS['wp_stub']['transients'][ Sovereign_Connector_Options::HEALTH_TRANSIENT ][1] );
		do_action( 'shutdown' );
		$this->assertCount( 1, $this->http(), 'a cached answer is not fetched again' );
	}

	public function test_ok_degraded_and_unreachable() {
		$cases = array(
			'OK'          => self::json( 200, array( 'ready' => true, 'checks' => array( 'degraded' => array( 'degraded' => array() ) ) ) ),
			'degraded'    => self::json( 200, array( 'ready' => true, 'checks' => array( 'degraded' => array( 'degraded' => array( 'fraud' ) ) ) ) ),
			'degraded '   => self::json( 503, array( 'ready' => false, 'checks' => array() ) ),
			'unreachable' => new WP_Error( 'http_request_failed', 'cURL error 28' ),
			'unreachable ' => self::json( 200, '<html>captive portal</html>' ),
		);
		foreach ( $cases as $label => $reply ) {
			$this->boot();
			$this->replies[] = $reply;
			$this->dot();
			do_action( 'shutdown' );
			$this->assertStringContainsString( 'Sovereign: ' . trim( $label ), $this->dot()['title'], $label );
		}
	}

	public function test_the_widget_shows_the_state_the_breaker_and_escapes_what_sovereign_said() {
		$this->boot();
		set_transient( Sovereign_Connector_Options::HEALTH_TRANSIENT, array( 'state' => 'degraded', 'detail' => 'degraded: <script>x</script>', 'checked_at' => time() ), 60 );
		set_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT, array( 'failures' => 3, 'open_until' => time() + 40 ), 600 );
		do_action( 'wp_dashboard_setup' );
		ob_start();
		call_user_func( $GLOBALS['wp_stub']['widgets']['sovereign_connector'] );
		$html = ob_get_clean();
		$this->assertStringContainsString( 'degraded: &lt;script&gt;x&lt;/script&gt;', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertMatchesRegularExpression( '/paused for (39|40) s/', $html );
		$this->assertStringContainsString( self::URL . '/console', $html );
	}

	public function test_users_without_the_capability_see_nothing() {
		$this->boot();
		$GLOBALS['wp_stub']['caps'] = array();
		$this->assertNull( $this->dot() );
		do_action( 'wp_dashboard_setup' );
		$this->assertArrayNotHasKey( 'widgets', $GLOBALS['wp_stub'] );
	}
}
