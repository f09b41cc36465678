<?php
/**
 * Checkout scoring: ask Sovereign within the budget, fail open, apply a hold once and only to an order that did not move on.
 *
 * @package SovereignConnector
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Hooks WooCommerce's checkouts (classic and Store API) to Sovereign's scoring endpoint.
 *
 * A hold is never applied to an unpaid order at checkout (WooCommerce would then skip the payment):
 * it is kept on the order and applied when the payment completes, if the order is still in the
 * state it was scored in. An order that is already paid is held at once.
 */
class Sovereign_Connector_Checkout {

	/** Meta Sovereign reads as "already scored" (its webhook path skips such orders). */
	const META_SCORE   = '_sovereign_fraud_score';
	const META_REASONS = '_sovereign_fraud_reasons';
	/** A hold waiting for the payment: { note, status, score, reasons }. */
	const META_PENDING = '_sovereign_connector_hold';
	/** When the hold was applied (it is applied once). */
	const META_APPLIED = '_sovereign_connector_applied';

	/** Orders created by these are scored; others only when the option asks for it. */
	const CHECKOUT_SOURCES = array( 'checkout', 'store-api' );
	/** Unpaid states: a hold waits for the payment. */
	const UNPAID = array( 'pending', 'checkout-draft', 'failed' );

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
		$this->client->register();
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'on_classic_checkout' ), 20, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'on_store_api_checkout' ), 20, 1 );
		add_filter( 'woocommerce_payment_complete_order_status', array( $this, 'on_payment_complete_status' ), 20, 3 );
		add_action( 'woocommerce_order_status_pending_to_processing', array( $this, 'on_paid_without_payment_complete' ), 20, 2 );
		if ( Sovereign_Connector_Options::score_all_orders() ) {
			add_action( 'woocommerce_rest_insert_shop_order_object', array( $this, 'on_rest_insert' ), 20, 3 );
			add_action( 'woocommerce_process_shop_order_meta', array( $this, 'on_admin_save' ), 60, 1 );
		}
	}

	/**
	 * Classic checkout.
	 *
	 * @param int            $order_id Order id.
	 * @param array          $posted   Posted data (unused).
	 * @param WC_Order|mixed $order    The order.
	 * @return string What happened (for logs and tests).
	 */
	public function on_classic_checkout( $order_id, $posted = array(), $order = null ) {
		return $this->score_order( is_object( $order ) ? $order : wc_get_order( $order_id ) );
	}

	/**
	 * Store API (block) checkout.
	 *
	 * @param WC_Order $order The order.
	 * @return string
	 */
	public function on_store_api_checkout( $order ) {
		return $this->score_order( $order );
	}

	/**
	 * An order created through the REST API (only with the "score all orders" option).
	 *
	 * @param WC_Order $order    The order.
	 * @param mixed    $request  The request (unused).
	 * @param bool     $creating Whether it was just created.
	 * @return void
	 */
	public function on_rest_insert( $order, $request = null, $creating = false ) {
		if ( $creating ) {
			$this->score_order( $order );
		}
	}

	/**
	 * An order saved in wp-admin (only with the "score all orders" option).
	 *
	 * @param int $order_id Order id.
	 * @return void
	 */
	public function on_admin_save( $order_id ) {
		$this->score_order( wc_get_order( $order_id ) );
	}

	/**
	 * Scores one order; never throws and never takes longer than the timeout (plus local work).
	 *
	 * @param WC_Order|mixed $order The order.
	 * @return string What happened: scored, hold_deferred, held, moved_on, failed_open, skipped_*.
	 */
	public function score_order( $order ) {
		try {
			if ( ! is_object( $order ) ) {
				return 'skipped_no_order';
			}
			if ( ! in_array( $order->get_created_via(), self::CHECKOUT_SOURCES, true ) && ! Sovereign_Connector_Options::score_all_orders() ) {
				return 'skipped_source';
			}
			if ( $this->already_scored( $order ) ) {
				return 'skipped_already_scored';
			}
			$status = $order->get_status();
			$result = $this->client->score( $this->payload( $order ) );
			if ( null === $result['answer'] ) {
				if ( 'not_configured' === $result['error'] ) {
					return 'skipped_not_configured';
				}
				$this->log( sprintf( 'order %d: no score at checkout (%s) after %d ms; the order proceeds, Sovereign scores it from the webhook', $order->get_id(), $result['error'], (int) round( $result['elapsed'] * 1000 ) ) );
				return $result['called'] ? 'failed_open' : 'skipped_breaker_open';
			}
			return $this->record( $order->get_id(), $status, $result['answer'] );
		} catch ( Throwable $e ) {
			$this->log( 'checkout scoring failed open: ' . get_class( $e ) . ': ' . $e->getMessage() );
			return 'failed_open';
		}
	}

	/**
	 * At payment completion: a hold waiting on this order replaces the paid status, once,
	 * if the order is still in the state it was scored in.
	 *
	 * @param string         $status   The status WooCommerce is about to set.
	 * @param int            $order_id Order id.
	 * @param WC_Order|mixed $order    The order.
	 * @return string
	 */
	public function on_payment_complete_status( $status, $order_id, $order = null ) {
		try {
			$order   = is_object( $order ) ? $order : wc_get_order( $order_id );
			$pending = is_object( $order ) ? $order->get_meta( self::META_PENDING ) : null;
			if ( ! is_array( $pending ) || $order->get_meta( self::META_APPLIED ) ) {
				return $status;
			}
			$order->delete_meta_data( self::META_PENDING );
			if ( ! $this->same_state( $order->get_status(), $pending['status'] ) ) {
				$this->log( sprintf( 'order %d moved on (%s, scored as %s): Sovereign\'s hold not applied', $order->get_id(), $order->get_status(), $pending['status'] ) );
				return $status;
			}
			$order->add_order_note( $pending['note'] );
			$this->mark( $order, $pending );
			return 'on-hold';
		} catch ( Throwable $e ) {
			$this->log( 'applying the hold failed: ' . $e->getMessage() );
			return $status;
		}
	}

	/**
	 * Gateways that mark an order paid without payment_complete() (cash on delivery): the waiting hold follows at once.
	 *
	 * @param int            $order_id Order id.
	 * @param WC_Order|mixed $order    The order.
	 * @return void
	 */
	public function on_paid_without_payment_complete( $order_id, $order = null ) {
		try {
			$order   = is_object( $order ) ? $order : wc_get_order( $order_id );
			$pending = is_object( $order ) ? $order->get_meta( self::META_PENDING ) : null;
			if ( ! is_array( $pending ) || ! in_array( $pending['status'], self::UNPAID, true ) || $order->get_meta( self::META_APPLIED ) ) {
				return;
			}
			$order->delete_meta_data( self::META_PENDING );
			$this->mark( $order, $pending );
			$order->update_status( 'on-hold', $pending['note'] );
		} catch ( Throwable $e ) {
			$this->log( 'applying the hold failed: ' . $e->getMessage() );
		}
	}

	/**
	 * Applies Sovereign's answer to a fresh copy of the order, if it did not move on meanwhile.
	 *
	 * @param int    $order_id Order id.
	 * @param string $status   Its status when the call started.
	 * @param array  $answer   Sovereign's answer.
	 * @return string
	 */
	private function record( $order_id, $status, array $answer ) {
		$order = wc_get_order( $order_id );
		if ( ! is_object( $order ) || $order->get_status() !== $status ) {
			$this->log( sprintf( 'order %d moved on during the call (%s): Sovereign\'s answer not applied', $order_id, is_object( $order ) ? $order->get_status() : 'deleted' ) );
			return 'moved_on';
		}
		if ( $this->already_scored( $order ) ) {
			return 'skipped_already_scored';
		}
		$score   = isset( $answer['score'] ) ? (int) $answer['score'] : 0;
		$note    = isset( $answer['note'] ) && is_string( $answer['note'] ) ? sanitize_textarea_field( $answer['note'] ) : '';
		$reasons = array();
		foreach ( isset( $answer['reasons'] ) && is_array( $answer['reasons'] ) ? $answer['reasons'] : array() as $reason ) {
			if ( is_array( $reason ) && isset( $reason['text'] ) && is_string( $reason['text'] ) ) {
				$reasons[] = sanitize_text_field( $reason['text'] );
			}
		}
		$decision = array(
			'note'    => $note,
			'status'  => $status,
			'score'   => $score,
			'reasons' => $reasons,
		);
		if ( 'hold' !== $answer['decision'] ) {
			if ( '' !== $note ) {
				$order->add_order_note( $note ); // monitor mode: the note, no hold.
			}
			$this->mark( $order, $decision, false );
			$order->save();
			return 'scored';
		}
		if ( '' === $note ) {
			/* translators: %d: risk score */
			$decision['note'] = sprintf( __( 'Sovereign fraud check: risk score %d/100. Order put on hold for review.', 'sovereign-connector' ), $score );
		}
		if ( in_array( $status, self::UNPAID, true ) ) {
			$order->update_meta_data( self::META_PENDING, $decision );
			$order->save();
			return 'hold_deferred';
		}
		$this->mark( $order, $decision );
		$order->update_status( 'on-hold', $decision['note'] );
		return 'held';
	}

	/**
	 * Whether an order is still in the state it was scored in. Unpaid states count as one: a checkout whose
	 * first payment failed and whose retry succeeded is the same order, scored on the same data.
	 *
	 * @param string $now    Its status now.
	 * @param string $scored Its status when it was scored.
	 * @return bool
	 */
	private function same_state( $now, $scored ) {
		return $now === $scored || ( in_array( $now, self::UNPAID, true ) && in_array( $scored, self::UNPAID, true ) );
	}

	/**
	 * Writes Sovereign's score on the order (its webhook path then skips it) and, for a hold, when it was applied.
	 *
	 * @param WC_Order $order    The order.
	 * @param array    $decision The decision.
	 * @param bool     $applied  Whether a hold was applied.
	 * @return void
	 */
	private function mark( $order, array $decision, $applied = true ) {
		$order->update_meta_data( self::META_SCORE, (string) $decision['score'] );
		$order->update_meta_data( self::META_REASONS, $decision['reasons'] );
		if ( $applied ) {
			$order->update_meta_data( self::META_APPLIED, time() );
		}
	}

	/**
	 * Whether this order was scored (or has a hold waiting) already.
	 *
	 * @param WC_Order $order The order.
	 * @return bool
	 */
	private function already_scored( $order ) {
		$pending = $order->get_meta( self::META_PENDING );
		return '' !== (string) $order->get_meta( self::META_SCORE ) || ! empty( $pending ) || (bool) $order->get_meta( self::META_APPLIED );
	}

	/**
	 * The order in the shape of WooCommerce's REST API, as Sovereign reads it.
	 *
	 * @param WC_Order $order The order.
	 * @return array
	 */
	public function payload( $order ) {
		$lines = array();
		foreach ( $order->get_items( 'line_item' ) as $item ) {
			$lines[] = array(
				'product_id'   => (int) $item->get_product_id(),
				'variation_id' => (int) $item->get_variation_id(),
				'name'         => (string) $item->get_name(),
				'quantity'     => (int) $item->get_quantity(),
				'total'        => (string) $item->get_total(),
			);
		}
		$shipping = array();
		foreach ( $order->get_items( 'shipping' ) as $item ) {
			$shipping[] = array( 'method_id' => (string) $item->get_method_id() );
		}
		$coupons = array();
		foreach ( $order->get_items( 'coupon' ) as $item ) {
			$coupons[] = array( 'code' => (string) $item->get_code() );
		}
		return array(
			'id'                  => (int) $order->get_id(),
			'number'              => (string) $order->get_order_number(),
			'status'              => (string) $order->get_status(),
			'created_via'         => (string) $order->get_created_via(),
			'currency'            => (string) $order->get_currency(),
			'total'               => (string) $order->get_total(),
			'customer_id'         => (int) $order->get_customer_id(),
			'customer_ip_address' => (string) $order->get_customer_ip_address(),
			'customer_user_agent' => (string) $order->get_customer_user_agent(),
			'customer_note'       => (string) $order->get_customer_note(),
			'payment_method'      => (string) $order->get_payment_method(),
			'billing'             => (array) $order->get_address( 'billing' ),
			'shipping'            => (array) $order->get_address( 'shipping' ),
			'line_items'          => $lines,
			'shipping_lines'      => $shipping,
			'coupon_lines'        => $coupons,
		);
	}

	/**
	 * One line in WooCommerce's log (source sovereign-connector), or PHP's error log without WooCommerce.
	 *
	 * @param string $message The line.
	 * @return void
	 */
	private function log( $message ) {
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->warning( $message, array( 'source' => 'sovereign-connector' ) );
			return;
		}
		error_log( 'sovereign-connector: ' . $message ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
	}
}
