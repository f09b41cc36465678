<?php
/**
 * The client: the timeout nothing can stretch, the breaker in a transient.
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

require_once __DIR__ . '/TestCase.php';

class ClientTest extends Sovereign_TestCase {

	public function test_the_timeout_is_four_seconds_at_most_whatever_the_option_or_other_plugins_say() {
		$this->boot( array( Sovereign_Connector_Options::TIMEOUT => 30 ) );
		add_filter(
			'http_request_args',
			function ( $args ) {
				$args['timeout'] = 60; // another plugin "helpfully" raising every timeout
				return $args;
			},
			999
		);
		$this->replies[] = self::answer( 'none' );
		$this->checkout( wc_stub_create_order() );
		$this->assertSame( 4.0, (float) $this->http()[0]['timeout'] );

		$this->boot( array( Sovereign_Connector_Options::TIMEOUT => 1.5 ) );
		$this->replies[] = self::answer( 'none' );
		$this->checkout( wc_stub_create_order() );
		$this->assertSame( 1.5, (float) $this->http()[0]['timeout'] );
		$this->assertSame( 0.1, Sovereign_Connector_Options::clamp( NAN, 0.1, 4.0 ) );
	}

	public function test_the_breaker_opens_after_n_failures_makes_no_calls_then_tries_one_after_the_cooldown() {
		$this->boot( array( Sovereign_Connector_Options::BREAKER_FAILURES => 2, Sovereign_Connector_Options::BREAKER_COOLDOWN => 30 ) );
		$this->replies = array( self::json( 500, '{}' ), self::json( 503, '{}' ) );
		$this->assertSame( 'failed_open', $this->checkout( wc_stub_create_order() ) );
		$this->assertSame( 'failed_open', $this->checkout( wc_stub_create_order() ) );
		for ( $i = 0; $i < 5; $i++ ) {
			$this->assertSame( 'skipped_breaker_open', $this->checkout( wc_stub_create_order() ) );
		}
		$this->assertCount( 2, $this->http(), 'no call while the breaker is open' );
		$breaker = get_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT );
		$this->assertSame( 2, $breaker['failures'] );
		$this->assertEqualsWithDelta( time() + 30, $breaker['open_until'], 2 );

		// The cooldown has passed: one call goes out; it fails, so the breaker opens again at once.
		$GLOBALS['wp_stub']['transients'][ Sovereign_Connector_Options::BREAKER_TRANSIENT ][0]['open_until'] = time() - 1;
		$this->replies[] = self::json( 500, '{}' );
		$this->assertSame( 'failed_open', $this->checkout( wc_stub_create_order() ) );
		$this->assertSame( 'skipped_breaker_open', $this->checkout( wc_stub_create_order() ) );
		$this->assertCount( 3, $this->http() );

		// Cooldown over again, and this time Sovereign answers: the breaker closes.
		$GLOBALS['wp_stub']['transients'][ Sovereign_Connector_Options::BREAKER_TRANSIENT ][0]['open_until'] = time() - 1;
		$this->replies = array( self::answer( 'none' ), self::answer( 'none' ) );
		$this->assertSame( 'scored', $this->checkout( wc_stub_create_order() ) );
		$this->assertFalse( get_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT ) );
		$this->assertSame( 'scored', $this->checkout( wc_stub_create_order() ) );
	}

	public function test_a_bad_order_400_does_not_count_against_the_breaker() {
		$this->boot( array( Sovereign_Connector_Options::BREAKER_FAILURES => 1 ) );
		$this->replies = array( self::json( 400, '{"error":{}}' ), self::answer( 'none' ) );
		$this->assertSame( 'failed_open', $this->checkout( wc_stub_create_order() ) );
		$this->assertSame( 'scored', $this->checkout( wc_stub_create_order() ) );
	}

	public function test_the_stubbed_transport_really_stops_at_the_timeout() {
		// The stub's wp_remote_request is PHP's curl: a port nobody answers on fails fast, no hang.
		$this->boot( array( Sovereign_Connector_Options::URL => 'http://127.0.0.1:9' ) );
		remove_scripted_replies();
		$t0 = microtime( true );
		$this->assertSame( 'failed_open', $this->checkout( wc_stub_create_order() ) );
		$this->assertLessThan( 4.2, microtime( true ) - $t0 );
		$this->assertStringContainsString( 'cURL error', implode( "\n", $this->logs() ) );
	}
}

function remove_scripted_replies() {
	unset( $GLOBALS['wp_stub']['hooks']['pre_http_request'] );
}
