<?php
/**
 * Shared helpers: boot the plugin with options, answer HTTP calls from a script instead of the network.
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

abstract class Sovereign_TestCase extends PHPUnit\Framework\TestCase {

	const URL = 'http://sovereign.test:8000';
	const KEY = 'sk-sov-abcd1234-secretsecretsecret';

	/** Responses handed out to the plugin's HTTP calls, in order (array, WP_Error or callable). */
	protected $replies = array();

	protected function boot( array $options = array() ) {
		wp_stub_boot(
			array_merge(
				array(
					Sovereign_Connector_Options::URL     => self::URL,
					Sovereign_Connector_Options::API_KEY => self::KEY,
					Sovereign_Connector_Options::STORE   => 'shop',
				),
				$options
			)
		);
		$this->replies = array();
		$test          = $this;
		add_filter(
			'pre_http_request',
			function ( $pre, $args, $url ) use ( $test ) {
				$next = array_shift( $test->replies );
				if ( null === $next ) {
					return new WP_Error( 'http_request_failed', 'no scripted reply' );
				}
				return is_callable( $next ) ? $next( $args, $url ) : $next;
			},
			10,
			3
		);
	}

	protected static function json( $code, $doc ) {
		return array( 'response' => array( 'code' => $code ), 'body' => is_string( $doc ) ? $doc : json_encode( $doc ) );
	}

	protected static function answer( $decision, $note = '' ) {
		return self::json(
			200,
			array(
				'score'     => 'hold' === $decision ? 90 : 10,
				'decision'  => $decision,
				'threshold' => 70,
				'reasons'   => array( array( 'code' => 'disposable_email', 'text' => 'throwaway <b>email</b>', 'weight' => 50 ) ),
				'note'      => $note,
			)
		);
	}

	protected function http() {
		return $GLOBALS['wp_stub']['http'];
	}

	protected function logs() {
		return array_column( $GLOBALS['wp_stub']['logs'], 'message' );
	}

	protected function checkout( $order ) {
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		return $GLOBALS['wp_stub']['results']['woocommerce_checkout_order_processed'][0];
	}
}
