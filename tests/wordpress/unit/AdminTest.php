<?php
/**
 * Settings: the key is never echoed back, the test button needs a nonce and a capability,
 * the Connectors screen is used where it exists, uninstall removes the options.
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

require_once __DIR__ . '/TestCase.php';

class Fake_Connector_Registry {
	public $registered = array();
	public function register( $id, $args ) { $this->registered[ $id ] = $args; return $args; }
	public function is_registered( $id ) { return isset( $this->registered[ $id ] ); }
}

class AdminTest extends Sovereign_TestCase {

	private function admin() {
		return new Sovereign_Connector_Admin( new Sovereign_Connector_Client() );
	}

	private function page() {
		ob_start();
		$this->admin()->render_page();
		return ob_get_clean();
	}

	protected function tearDown(): void {
		unset( $_REQUEST['_wpnonce'] );
	}

	public function test_the_settings_page_never_shows_the_key() {
		$this->boot();
		$html = $this->page();
		$this->assertStringNotContainsString( self::KEY, $html );
		$this->assertStringNotContainsString( 'secretsecret', $html );
		$this->assertStringContainsString( 'type="password"', $html );
		$this->assertStringContainsString( 'value=""', $html );
		$this->assertStringContainsString( 'stored — type a new key to replace it', $html );
		$this->assertStringContainsString( 'value="' . self::URL . '"', $html );
		$this->assertStringContainsString( 'name="_wpnonce" value="nonce-sovereign_connector_test"', $html );
		$this->assertStringContainsString( self::URL . '/console', $html );
	}

	public function test_an_empty_key_field_keeps_the_stored_key_and_urls_are_http_only() {
		$this->boot();
		$admin = $this->admin();
		$this->assertSame( self::KEY, $admin->sanitize_key_field( '' ) );
		$this->assertSame( 'sk-sov-new', $admin->sanitize_key_field( ' sk-sov-new ' ) );
		$this->assertSame( 'https://sov.example', $admin->sanitize_url( 'https://sov.example/' ) );
		$this->assertSame( '', $admin->sanitize_url( 'javascript:alert(1)' ) );
		$this->assertSame( 4.0, $admin->sanitize_timeout( '99' ) );
	}

	public function test_the_connection_test_needs_the_capability_and_the_nonce() {
		$this->boot();
		$GLOBALS['wp_stub']['caps'] = array();
		$_REQUEST['_wpnonce']        = 'nonce-sovereign_connector_test';
		try {
			$this->admin()->run_test();
			$this->fail( 'no capability: refused' );
		} catch ( WP_Stub_Die $e ) {
			$this->assertSame( 403, $e->getCode() );
		}
		$GLOBALS['wp_stub']['caps'] = array( 'manage_options' => true );
		$_REQUEST['_wpnonce']        = 'forged';
		try {
			$this->admin()->run_test();
			$this->fail( 'bad nonce: refused' );
		} catch ( WP_Stub_Die $e ) {
			$this->assertSame( 403, $e->getCode() );
		}
		$this->assertSame( array(), $this->http(), 'nothing was called' );
	}

	public function test_the_connection_test_reports_what_sovereign_said() {
		$this->boot();
		$_REQUEST['_wpnonce'] = 'nonce-sovereign_connector_test';
		$this->replies        = array( self::json( 200, array( 'ready' => true, 'checks' => array() ) ), self::json( 403, '{}' ) );
		$this->admin()->run_test();
		$this->assertStringContainsString( 'may not use the fraud feature', $this->page() );
		$this->assertSame( array( 'GET', 'POST' ), array_column( $this->http(), 'method' ) );
		$this->assertSame( 1.0, (float) $this->http()[0]['timeout'] );
		$this->assertStringNotContainsString( 'may not use', $this->page(), 'shown once' );
	}

	public function test_on_wordpress_7_the_key_lives_on_the_connectors_screen() {
		$this->boot();
		$registry = new Fake_Connector_Registry();
		do_action( 'wp_connectors_init', $registry );
		$connector = $registry->registered['sovereign'];
		$this->assertSame( 'api_key', $connector['authentication']['method'] );
		$this->assertSame( Sovereign_Connector_Options::API_KEY, $connector['authentication']['setting_name'] );
		$this->assertSame( 'SOVEREIGN_CONNECTOR_API_KEY', $connector['authentication']['constant_name'] );
		do_action( 'wp_connectors_init', $registry ); // registered once
		$this->assertCount( 1, $registry->registered );
		$this->assertFalse( Sovereign_Connector_Admin::connectors_available(), 'this stub has no Connectors API: the settings page keeps the key field' );
		$this->admin()->register_settings();
		$this->assertArrayHasKey( Sovereign_Connector_Options::API_KEY, $GLOBALS['wp_stub']['settings'] );
	}

	public function test_uninstall_removes_every_option_and_transient() {
		$this->boot( array( Sovereign_Connector_Options::TIMEOUT => 2, Sovereign_Connector_Options::SCORE_ALL => true ) );
		update_option( 'blogname', 'Shop' );
		set_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT, array( 'failures' => 1 ), 60 );
		set_transient( Sovereign_Connector_Options::HEALTH_TRANSIENT, array( 'state' => 'ok' ), 60 );
		define( 'WP_UNINSTALL_PLUGIN', 'sovereign-connector/sovereign-connector.php' );
		require dirname( __DIR__, 3 ) . '/wordpress/sovereign-connector/uninstall.php';
		$this->assertSame( array( 'blogname' => 'Shop' ), $GLOBALS['wp_stub']['options'] );
		$this->assertSame( array(), $GLOBALS['wp_stub']['transients'] );
	}
}
