<?php
/**
 * Runs the plugin's checkout hook for fake orders and prints one JSON object (the end-to-end tests and bench/plugin_checkout.py).
 *
 *     echo '{"options": {...}, "orders": [{...}], "pay": true, "api": "classic"}' | php tests/wordpress/driver.php
 *
 * Each order (WooCommerce REST shape; missing fields get defaults) is created pending by the checkout,
 * the checkout hook runs and is timed; with "pay", payment_complete() follows (the deferred hold), and
 * "pay_twice" runs it again. "move_on" changes the order's status while the call to Sovereign is in
 * flight. Prints {"results": [{id, outcome, hook_ms, status, notes, meta, http_calls}], "logs": [...]}.
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

require __DIR__ . '/bootstrap.php';

$spec = json_decode( isset( $argv[1] ) ? $argv[1] : stream_get_contents( STDIN ), true );
if ( ! is_array( $spec ) ) {
	fwrite( STDERR, "usage: php driver.php '<json spec>'\n" );
	exit( 2 );
}
wp_stub_boot( isset( $spec['options'] ) ? $spec['options'] : array() );

if ( ! empty( $spec['move_on'] ) ) {
	// Someone (an admin, a payment webhook) changes the order while Sovereign is being asked.
	add_filter(
		'pre_http_request',
		function ( $pre, $args, $url ) use ( $spec ) {
			foreach ( $GLOBALS['wp_stub']['orders'] as $id => $data ) {
				$GLOBALS['wp_stub']['orders'][ $id ]['status'] = $spec['move_on'];
			}
			return $pre;
		},
		10,
		3
	);
}

if ( ! empty( $spec['health'] ) ) {
	// The admin pages' view of Sovereign: one refresh (1 s at most), as the shutdown hook does it.
	$t0     = microtime( true );
	$health = ( new Sovereign_Connector_Client() )->health( true );
	echo json_encode( array( 'health' => $health, 'ms' => round( ( microtime( true ) - $t0 ) * 1000.0, 3 ) ) ), "\n";
	exit( 0 );
}

$results = array();
foreach ( $spec['orders'] as $fields ) {
	$order      = wc_stub_create_order( $fields );
	$id         = $order->get_id();
	$http_start = count( $GLOBALS['wp_stub']['http'] );
	$api        = isset( $spec['api'] ) ? $spec['api'] : 'classic';
	$t0         = microtime( true );
	if ( 'store-api' === $api ) {
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$outcome = $GLOBALS['wp_stub']['results']['woocommerce_store_api_checkout_order_processed'];
	} else {
		do_action( 'woocommerce_checkout_order_processed', $id, array(), $order );
		$outcome = $GLOBALS['wp_stub']['results']['woocommerce_checkout_order_processed'];
	}
	$hook_ms = ( microtime( true ) - $t0 ) * 1000.0;
	$paid    = array();
	foreach ( array( 'pay', 'pay_twice' ) as $step ) {
		if ( ! empty( $spec[ $step ] ) ) {
			$fresh = wc_get_order( $id );
			if ( 'on-hold' !== $fresh->get_status() || 'pay' === $step ) {
				$fresh->payment_complete();
			}
			$paid[] = wc_get_order( $id )->get_status();
		}
	}
	$final     = wc_get_order( $id );
	$results[] = array(
		'id'         => $id,
		'outcome'    => isset( $outcome[0] ) ? $outcome[0] : null,
		'hook_ms'    => round( $hook_ms, 3 ),
		'status'     => $final->get_status(),
		'after_pay'  => $paid,
		'notes'      => wc_stub_notes( $id ),
		'meta'       => (object) $GLOBALS['wp_stub']['orders'][ $id ]['meta'],
		'http_calls' => count( $GLOBALS['wp_stub']['http'] ) - $http_start,
	);
}

echo json_encode(
	array(
		'results'   => $results,
		'logs'      => $GLOBALS['wp_stub']['logs'],
		'breaker'   => get_transient( 'sovereign_connector_breaker' ),
	)
), "\n";
