<?php
/**
 * The checkout hook: fail open, skip the sources it should, apply a hold once and never to an order that moved on.
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

require_once __DIR__ . '/TestCase.php';

class CheckoutTest extends Sovereign_TestCase {

	public function test_a_hold_waits_for_the_payment_then_applies_once_with_sovereigns_note() {
		$this->boot();
		$this->replies[] = self::answer( 'hold', "Sovereign fraud check: risk score 90/100.\n- throwaway email" );
		$order           = wc_stub_create_order();
		$this->assertSame( 'hold_deferred', $this->checkout( $order ) );
		$this->assertSame( 'pending', wc_get_order( $order->get_id() )->get_status(), 'an unpaid order is not held: WooCommerce would skip the payment' );
		$this->assertSame( array(), wc_stub_notes( $order->get_id() ) );

		wc_get_order( $order->get_id() )->payment_complete();
		$paid = wc_get_order( $order->get_id() );
		$this->assertSame( 'on-hold', $paid->get_status() );
		$this->assertSame( array( "Sovereign fraud check: risk score 90/100.\n- throwaway email" ), wc_stub_notes( $order->get_id() ) );
		$this->assertSame( '90', $paid->get_meta( '_sovereign_fraud_score' ) );
		$this->assertSame( array( 'throwaway email' ), $paid->get_meta( '_sovereign_fraud_reasons' ) );

		// A released order paid again, and the same order through checkout again: nothing happens twice.
		$paid->set_status( 'pending' );
		$paid->save();
		wc_get_order( $order->get_id() )->payment_complete();
		$this->assertSame( 'processing', wc_get_order( $order->get_id() )->get_status() );
		$this->assertSame( 'skipped_already_scored', $this->checkout( wc_get_order( $order->get_id() ) ) );
		$this->assertCount( 1, wc_stub_notes( $order->get_id() ) );
		$this->assertCount( 1, $this->http() );
	}

	public function test_a_gateway_that_marks_the_order_paid_itself_gets_the_hold_too() {
		$this->boot();
		$this->replies[] = self::answer( 'hold', 'Sovereign says hold' );
		$order           = wc_stub_create_order( array( 'payment_method' => 'cod' ) );
		$this->assertSame( 'hold_deferred', $this->checkout( $order ) );
		wc_get_order( $order->get_id() )->update_status( 'processing', 'Payment to be made upon delivery.' ); // what WC_Gateway_COD does
		$held = wc_get_order( $order->get_id() );
		$this->assertSame( 'on-hold', $held->get_status() );
		$this->assertSame( '90', $held->get_meta( '_sovereign_fraud_score' ) );
		$this->assertSame( '', $held->get_meta( '_sovereign_connector_hold' ) );
		$notes = wc_stub_notes( $order->get_id() );
		$this->assertCount( 2, $notes );
		$this->assertStringStartsWith( 'Sovereign says hold', $notes[1] );
		$held->update_status( 'processing', 'released by a person' );
		$this->assertSame( 'processing', wc_get_order( $order->get_id() )->get_status(), 'a released order stays released' );
	}

	public function test_an_order_that_moved_on_during_the_call_is_left_alone() {
		$this->boot();
		$order           = wc_stub_create_order();
		$this->replies[] = function () use ( $order ) {
			$GLOBALS['wp_stub']['orders'][ $order->get_id() ]['status'] = 'cancelled';
			return self::answer( 'hold', 'note' );
		};
		$this->assertSame( 'moved_on', $this->checkout( $order ) );
		$fresh = wc_get_order( $order->get_id() );
		$this->assertSame( 'cancelled', $fresh->get_status() );
		$this->assertSame( array(), wc_stub_notes( $order->get_id() ) );
		$this->assertSame( '', $fresh->get_meta( '_sovereign_fraud_score' ) );
		$this->assertStringContainsString( 'moved on during the call', implode( "\n", $this->logs() ) );
	}

	public function test_an_order_that_moved_on_before_the_payment_keeps_its_status() {
		$this->boot();
		$this->replies[] = self::answer( 'hold', 'note' );
		$order           = wc_stub_create_order();
		$this->assertSame( 'hold_deferred', $this->checkout( $order ) );
		$moved = wc_get_order( $order->get_id() );
		$moved->set_status( 'cancelled' ); // a person cancelled it; then a late payment arrived
		$moved->save();
		wc_get_order( $order->get_id() )->payment_complete();
		$this->assertSame( 'processing', wc_get_order( $order->get_id() )->get_status() );
		$this->assertSame( array(), wc_stub_notes( $order->get_id() ) );
		$this->assertStringContainsString( 'moved on (cancelled, scored as pending)', implode( "\n", $this->logs() ) );
	}

	public function test_a_failed_first_payment_and_a_successful_retry_is_still_the_order_that_was_scored() {
		$this->boot();
		$this->replies[] = self::answer( 'hold', 'note' );
		$order           = wc_stub_create_order();
		$this->assertSame( 'hold_deferred', $this->checkout( $order ) );
		$failed = wc_get_order( $order->get_id() );
		$failed->set_status( 'failed' );
		$failed->save();
		$this->assertSame( 'skipped_already_scored', $this->checkout( wc_get_order( $order->get_id() ) ), 'the retried checkout is not scored again' );
		wc_get_order( $order->get_id() )->payment_complete();
		$this->assertSame( 'on-hold', wc_get_order( $order->get_id() )->get_status() );
		$this->assertSame( array( 'note' ), wc_stub_notes( $order->get_id() ) );
		$this->assertCount( 1, $this->http() );
	}

	public function test_a_paid_order_is_held_at_once() {
		$this->boot();
		$this->replies[] = self::answer( 'hold', 'Sovereign says hold' );
		$order           = wc_stub_create_order( array( 'status' => 'processing' ) );
		$this->assertSame( 'held', $this->checkout( $order ) );
		$this->assertSame( 'on-hold', wc_get_order( $order->get_id() )->get_status() );
		$this->assertCount( 1, wc_stub_notes( $order->get_id() ) );
		$this->assertStringStartsWith( 'Sovereign says hold', wc_stub_notes( $order->get_id() )[0] );
	}

	public function test_a_clean_answer_marks_the_order_scored_and_a_monitor_answer_only_adds_its_note() {
		$this->boot();
		$this->replies[] = self::answer( 'none' );
		$this->replies[] = self::answer( 'none', 'Monitor mode: would have been held' );
		$clean           = wc_stub_create_order();
		$watched         = wc_stub_create_order();
		$this->assertSame( 'scored', $this->checkout( $clean ) );
		$this->assertSame( 'scored', $this->checkout( $watched ) );
		$this->assertSame( '10', wc_get_order( $clean->get_id() )->get_meta( '_sovereign_fraud_score' ) );
		$this->assertSame( array(), wc_stub_notes( $clean->get_id() ) );
		$this->assertSame( array( 'Monitor mode: would have been held' ), wc_stub_notes( $watched->get_id() ) );
		$this->assertSame( 'pending', wc_get_order( $watched->get_id() )->get_status() );
	}

	public function test_garbage_500_and_errors_fail_open_with_a_log_line() {
		$this->boot( array( Sovereign_Connector_Options::BREAKER_FAILURES => 100 ) );
		$bad = array(
			self::json( 200, '<html>not json' ),
			self::json( 200, array( 'score' => 90 ) ),
			self::json( 500, array( 'error' => 'boom' ) ),
			self::json( 401, array( 'error' => 'bad key' ) ),
			new WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out' ),
		);
		foreach ( $bad as $reply ) {
			$this->replies[] = $reply;
			$order           = wc_stub_create_order();
			$this->assertSame( 'failed_open', $this->checkout( $order ) );
			wc_get_order( $order->get_id() )->payment_complete();
			$this->assertSame( 'processing', wc_get_order( $order->get_id() )->get_status() );
			$this->assertSame( array(), wc_stub_notes( $order->get_id() ) );
		}
		$logs = $this->logs();
		$this->assertCount( 5, $logs );
		$this->assertStringContainsString( 'unusable_answer', $logs[0] );
		$this->assertStringContainsString( 'http_500', $logs[2] );
		$this->assertStringContainsString( 'the order proceeds', $logs[4] );
	}

	public function test_admin_and_rest_orders_are_not_scored_unless_asked() {
		$this->boot();
		foreach ( array( 'admin', 'rest-api' ) as $via ) {
			$this->assertSame( 'skipped_source', $this->checkout( wc_stub_create_order( array( 'created_via' => $via ) ) ) );
		}
		$this->assertSame( array(), $this->http() );
		$this->assertFalse( has_action( 'woocommerce_rest_insert_shop_order_object' ) );

		$this->boot( array( Sovereign_Connector_Options::SCORE_ALL => true ) );
		$this->replies[] = self::answer( 'none' );
		$order           = wc_stub_create_order( array( 'created_via' => 'rest-api' ) );
		do_action( 'woocommerce_rest_insert_shop_order_object', $order, null, true );
		$this->assertCount( 1, $this->http() );
		$this->assertSame( '10', wc_get_order( $order->get_id() )->get_meta( '_sovereign_fraud_score' ) );
	}

	public function test_store_api_checkout_is_scored_and_sends_the_rest_shape() {
		$this->boot();
		$sent            = null;
		$this->replies[] = function ( $args ) use ( &$sent ) {
			$sent = $args;
			return self::answer( 'none' );
		};
		$order = wc_stub_create_order( array( 'created_via' => 'store-api', 'coupon_lines' => array( array( 'code' => 'SPRING' ) ) ) );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$this->assertSame( 'scored', $GLOBALS['wp_stub']['results']['woocommerce_store_api_checkout_order_processed'][0] );
		$body = json_decode( $sent['body'], true );
		$this->assertSame( 'shop', $body['store'] );
		$this->assertSame( $order->get_id(), $body['order']['id'] );
		$this->assertSame( 'ada@example.com', $body['order']['billing']['email'] );
		$this->assertSame( array( array( 'product_id' => 11, 'variation_id' => 0, 'name' => 'Mug', 'quantity' => 1, 'total' => '25.00' ) ), $body['order']['line_items'] );
		$this->assertSame( array( array( 'code' => 'SPRING' ) ), $body['order']['coupon_lines'] );
		$this->assertSame( 'Bearer ' . self::KEY, $sent['headers']['Authorization'] );
		$this->assertSame( 'http://sovereign.test:8000/v1/fraud/score', $this->http()[0]['url'] );
	}

	public function test_not_configured_makes_no_call_and_no_noise() {
		$this->boot( array( Sovereign_Connector_Options::API_KEY => '' ) );
		$this->assertSame( 'skipped_not_configured', $this->checkout( wc_stub_create_order() ) );
		$this->assertSame( array(), $this->http() );
		$this->assertSame( array(), $this->logs() );
	}
}
