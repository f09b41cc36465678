<?php
/**
 * Small stubs of the WordPress and WooCommerce functions the plugin calls, then the plugin itself.
 *
 * Options and transients live in memory (transients expire by time()); HTTP is real (PHP's curl with
 * the total timeout the caller asked for); orders are kept as arrays and wc_get_order() returns a
 * fresh object each time, as WooCommerce does, so a stale copy cannot hide a change.
 * Used by the PHPUnit suite (unit/) and by driver.php (the end-to-end tests and the benchmark).
 *
 * @package SovereignConnector\Tests
 */

// phpcs:disable

define( 'ABSPATH', __DIR__ . '/' );

$GLOBALS['wp_stub'] = array();

/** Forgets every hook, option, transient, order, log line and HTTP count. */
function wp_stub_reset() {
	$GLOBALS['wp_stub'] = array(
		'hooks'      => array(),
		'options'    => array(),
		'transients' => array(),
		'orders'     => array(),
		'notes'      => array(),
		'logs'       => array(),
		'http'       => array(),
		'results'    => array(),
		'caps'       => array( 'manage_options' => true, 'manage_woocommerce' => true ),
		'redirect'   => null,
		'is_admin'   => true,
		'next_id'    => 1000,
	);
}
wp_stub_reset();

// ---- hooks ----
function add_filter( $tag, $callback, $priority = 10, $accepted_args = 1 ) {
	$GLOBALS['wp_stub']['hooks'][ $tag ][ $priority ][] = array( $callback, $accepted_args );
	return true;
}
function add_action( $tag, $callback, $priority = 10, $accepted_args = 1 ) {
	return add_filter( $tag, $callback, $priority, $accepted_args );
}
function apply_filters( $tag, $value, ...$args ) {
	if ( empty( $GLOBALS['wp_stub']['hooks'][ $tag ] ) ) {
		return $value;
	}
	$by_priority = $GLOBALS['wp_stub']['hooks'][ $tag ];
	ksort( $by_priority );
	foreach ( $by_priority as $callbacks ) {
		foreach ( $callbacks as $cb ) {
			$value = call_user_func_array( $cb[0], array_slice( array_merge( array( $value ), $args ), 0, $cb[1] ) );
		}
	}
	return $value;
}
/** Runs an action; what each callback returned is kept in wp_stub['results'][$tag] (tests read it). */
function do_action( $tag, ...$args ) {
	$GLOBALS['wp_stub']['results'][ $tag ] = array();
	if ( empty( $GLOBALS['wp_stub']['hooks'][ $tag ] ) ) {
		return;
	}
	$by_priority = $GLOBALS['wp_stub']['hooks'][ $tag ];
	ksort( $by_priority );
	foreach ( $by_priority as $callbacks ) {
		foreach ( $callbacks as $cb ) {
			$GLOBALS['wp_stub']['results'][ $tag ][] = call_user_func_array( $cb[0], array_slice( $args, 0, $cb[1] ) );
		}
	}
}
function has_action( $tag ) {
	return ! empty( $GLOBALS['wp_stub']['hooks'][ $tag ] );
}

// ---- options and transients ----
function get_option( $name, $default = false ) {
	return array_key_exists( $name, $GLOBALS['wp_stub']['options'] ) ? $GLOBALS['wp_stub']['options'][ $name ] : $default;
}
function update_option( $name, $value ) {
	$GLOBALS['wp_stub']['options'][ $name ] = $value;
	return true;
}
function delete_option( $name ) {
	unset( $GLOBALS['wp_stub']['options'][ $name ] );
	return true;
}
function get_transient( $name ) {
	if ( ! isset( $GLOBALS['wp_stub']['transients'][ $name ] ) ) {
		return false;
	}
	list( $value, $expires ) = $GLOBALS['wp_stub']['transients'][ $name ];
	if ( $expires > 0 && $expires <= time() ) {
		unset( $GLOBALS['wp_stub']['transients'][ $name ] );
		return false;
	}
	return $value;
}
function set_transient( $name, $value, $expiration = 0 ) {
	$GLOBALS['wp_stub']['transients'][ $name ] = array( $value, $expiration > 0 ? time() + (int) $expiration : 0 );
	return true;
}
function delete_transient( $name ) {
	unset( $GLOBALS['wp_stub']['transients'][ $name ] );
	return true;
}

// ---- formatting, i18n, escaping ----
function __( $text, $domain = 'default' ) { return $text; }
function esc_html__( $text, $domain = 'default' ) { return esc_html( $text ); }
function esc_html( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function esc_attr( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function esc_url( $url ) { return htmlspecialchars( (string) $url, ENT_QUOTES, 'UTF-8' ); }
function esc_url_raw( $url, $protocols = null ) {
	$scheme = strtolower( (string) parse_url( $url, PHP_URL_SCHEME ) );
	return in_array( $scheme, $protocols ? $protocols : array( 'http', 'https' ), true ) ? $url : '';
}
function untrailingslashit( $value ) { return rtrim( (string) $value, '/\\' ); }
function sanitize_key( $key ) { return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) ); }
function sanitize_text_field( $text ) { return trim( preg_replace( '/[\r\n\t ]+/', ' ', strip_tags( (string) $text ) ) ); }
function sanitize_textarea_field( $text ) { return trim( strip_tags( (string) $text ) ); }
function absint( $value ) { return abs( (int) $value ); }
function rest_sanitize_boolean( $value ) { return (bool) $value; }
function wp_json_encode( $data ) { return json_encode( $data ); }
function human_time_diff( $from, $to ) { return max( 1, (int) round( ( $to - $from ) / 60 ) ) . ' mins'; }
function checked( $a, $b, $echo = true ) { return $a === $b ? ' checked="checked"' : ''; }
function admin_url( $path = '' ) { return 'http://shop.test/wp-admin/' . $path; }
function plugin_basename( $file ) { return basename( dirname( $file ) ) . '/' . basename( $file ); }
function load_plugin_textdomain() { return true; }

// ---- users, admin screens ----
function current_user_can( $cap ) { return ! empty( $GLOBALS['wp_stub']['caps'][ $cap ] ); }
function get_current_user_id() { return 1; }
function is_admin() { return $GLOBALS['wp_stub']['is_admin']; }
class WP_Stub_Die extends Exception {}
function wp_die( $message = '', $code = 500 ) { throw new WP_Stub_Die( (string) $message, (int) $code ); }
function wp_create_nonce( $action ) { return 'nonce-' . $action; }
function check_admin_referer( $action ) {
	if ( ! isset( $_REQUEST['_wpnonce'] ) || 'nonce-' . $action !== $_REQUEST['_wpnonce'] ) {
		wp_die( 'The link you followed has expired.', 403 );
	}
	return 1;
}
function wp_nonce_field( $action ) { echo '<input type="hidden" name="_wpnonce" value="' . esc_attr( wp_create_nonce( $action ) ) . '">'; }
function wp_safe_redirect( $url ) { $GLOBALS['wp_stub']['redirect'] = $url; return true; }
function settings_fields( $group ) { echo '<input type="hidden" name="option_page" value="' . esc_attr( $group ) . '">'; }
function submit_button( $text = 'Save Changes' ) { echo '<button type="submit">' . esc_html( $text ) . '</button>'; }
function register_setting( $group, $name, $args = array() ) { $GLOBALS['wp_stub']['settings'][ $name ] = $args; }
function add_options_page() { return 'settings_page_sovereign-connector'; }
function wp_add_dashboard_widget( $id, $title, $callback ) { $GLOBALS['wp_stub']['widgets'][ $id ] = $callback; }

// ---- HTTP: PHP's curl, the caller's total timeout ----
class WP_Error {
	private $code;
	private $message;
	public function __construct( $code = '', $message = '' ) { $this->code = $code; $this->message = $message; }
	public function get_error_code() { return $this->code; }
	public function get_error_message() { return $this->message; }
}
function is_wp_error( $thing ) { return $thing instanceof WP_Error; }

function wp_remote_request( $url, $args = array() ) {
	$args = apply_filters( 'http_request_args', array_merge( array( 'method' => 'GET', 'timeout' => 5, 'headers' => array(), 'body' => null ), $args ), $url );
	$pre  = apply_filters( 'pre_http_request', false, $args, $url );
	$GLOBALS['wp_stub']['http'][] = array( 'url' => $url, 'method' => $args['method'], 'timeout' => $args['timeout'] );
	if ( false !== $pre ) {
		return $pre;
	}
	$ch      = curl_init( $url );
	$headers = array( 'Expect:' );
	foreach ( $args['headers'] as $name => $value ) {
		$headers[] = $name . ': ' . $value;
	}
	$timeout_ms = (int) max( 1, round( (float) $args['timeout'] * 1000 ) );
	curl_setopt_array(
		$ch,
		array(
			CURLOPT_CUSTOMREQUEST     => $args['method'],
			CURLOPT_RETURNTRANSFER    => true,
			CURLOPT_HEADER            => false,
			CURLOPT_HTTPHEADER        => $headers,
			CURLOPT_TIMEOUT_MS        => $timeout_ms,
			CURLOPT_CONNECTTIMEOUT_MS => $timeout_ms,
			CURLOPT_NOSIGNAL          => true,
			CURLOPT_FOLLOWLOCATION    => false,
		)
	);
	if ( null !== $args['body'] ) {
		curl_setopt( $ch, CURLOPT_POSTFIELDS, $args['body'] );
	}
	$body = curl_exec( $ch );
	if ( false === $body ) {
		$error = new WP_Error( 'http_request_failed', 'cURL error ' . curl_errno( $ch ) . ': ' . curl_error( $ch ) );
		curl_close( $ch );
		return $error;
	}
	$code = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
	curl_close( $ch );
	return array( 'response' => array( 'code' => $code ), 'body' => $body );
}
function wp_remote_post( $url, $args = array() ) { return wp_remote_request( $url, array_merge( $args, array( 'method' => 'POST' ) ) ); }
function wp_remote_get( $url, $args = array() ) { return wp_remote_request( $url, array_merge( $args, array( 'method' => 'GET' ) ) ); }
function wp_remote_retrieve_body( $response ) { return is_array( $response ) && isset( $response['body'] ) ? $response['body'] : ''; }
function wp_remote_retrieve_response_code( $response ) { return is_array( $response ) && isset( $response['response']['code'] ) ? $response['response']['code'] : ''; }

// ---- WooCommerce: a tiny order, its items, the logger ----
class WC_Stub_Logger {
	public function warning( $message, $context = array() ) { $this->log( 'warning', $message, $context ); }
	public function info( $message, $context = array() ) { $this->log( 'info', $message, $context ); }
	public function log( $level, $message, $context = array() ) {
		$GLOBALS['wp_stub']['logs'][] = array( 'level' => $level, 'message' => $message, 'source' => isset( $context['source'] ) ? $context['source'] : '' );
	}
}
function wc_get_logger() { return new WC_Stub_Logger(); }

class WC_Stub_Item {
	private $data;
	public function __construct( array $data ) { $this->data = $data; }
	public function __call( $name, $args ) {
		$key = substr( $name, 4 );
		return isset( $this->data[ $key ] ) ? $this->data[ $key ] : '';
	}
}

/** The few WC_Order methods the plugin uses, over an array kept in wp_stub['orders']. */
class WC_Order {
	private $data;
	public function __construct( array $data ) { $this->data = $data; }
	public function get_id() { return $this->data['id']; }
	public function get_order_number() { return (string) $this->data['id']; }
	public function get_status() { return $this->data['status']; }
	public function get_created_via() { return $this->data['created_via']; }
	public function get_currency() { return $this->data['currency']; }
	public function get_total() { return $this->data['total']; }
	public function get_customer_id() { return $this->data['customer_id']; }
	public function get_customer_ip_address() { return $this->data['customer_ip_address']; }
	public function get_customer_user_agent() { return $this->data['customer_user_agent']; }
	public function get_customer_note() { return $this->data['customer_note']; }
	public function get_payment_method() { return $this->data['payment_method']; }
	public function get_address( $type = 'billing' ) { return $this->data[ $type ]; }
	public function get_items( $type = 'line_item' ) {
		$key = array( 'line_item' => 'line_items', 'shipping' => 'shipping_lines', 'coupon' => 'coupon_lines' )[ $type ];
		return array_map( function ( $item ) { return new WC_Stub_Item( $item ); }, $this->data[ $key ] );
	}
	public function get_meta( $key, $single = true ) { return isset( $this->data['meta'][ $key ] ) ? $this->data['meta'][ $key ] : ''; }
	public function update_meta_data( $key, $value ) { $this->data['meta'][ $key ] = $value; }
	public function delete_meta_data( $key ) { unset( $this->data['meta'][ $key ] ); }
	public function set_status( $status ) { $this->data['status'] = $status; }
	/** Stores the order; a status change fires woocommerce_order_status_{from}_to_{to}, as WooCommerce does. */
	public function save() {
		$id   = $this->data['id'];
		$from = isset( $GLOBALS['wp_stub']['orders'][ $id ] ) ? $GLOBALS['wp_stub']['orders'][ $id ]['status'] : '';
		$GLOBALS['wp_stub']['orders'][ $id ] = $this->data;
		if ( '' !== $from && $from !== $this->data['status'] ) {
			do_action( 'woocommerce_order_status_' . $from . '_to_' . $this->data['status'], $id, $this );
		}
		return $id;
	}
	public function add_order_note( $note ) { $GLOBALS['wp_stub']['notes'][ $this->data['id'] ][] = $note; return count( $GLOBALS['wp_stub']['notes'][ $this->data['id'] ] ); }
	public function update_status( $status, $note = '' ) {
		$from = $this->data['status'];
		$this->data['status'] = $status;
		$this->add_order_note( trim( $note . ' Order status changed from ' . $from . ' to ' . $status . '.' ) );
		$this->save();
		return true;
	}
	/** What WC_Order::payment_complete() does with the status filter. */
	public function payment_complete() {
		if ( ! in_array( $this->data['status'], array( 'on-hold', 'pending', 'failed', 'cancelled' ), true ) ) {
			return false;
		}
		$this->set_status( apply_filters( 'woocommerce_payment_complete_order_status', 'processing', $this->get_id(), $this ) );
		$this->save();
		return true;
	}
}

/** A fresh copy of a stored order, or false. */
function wc_get_order( $id ) {
	return isset( $GLOBALS['wp_stub']['orders'][ $id ] ) ? new WC_Order( $GLOBALS['wp_stub']['orders'][ $id ] ) : false;
}

/** Stores an order (REST-shaped fields; defaults for the rest) and returns a fresh copy. */
function wc_stub_create_order( array $fields = array() ) {
	$id   = isset( $fields['id'] ) && $fields['id'] ? (int) $fields['id'] : ++$GLOBALS['wp_stub']['next_id'];
	$data = array_merge(
		array(
			'status'              => 'pending',
			'created_via'         => 'checkout',
			'currency'            => 'EUR',
			'total'               => '25.00',
			'customer_id'         => 0,
			'customer_ip_address' => '203.0.113.7',
			'customer_user_agent' => 'Mozilla/5.0',
			'customer_note'       => '',
			'payment_method'      => 'stripe',
			'billing'             => array( 'first_name' => 'Ada', 'last_name' => 'Lovelace', 'email' => 'ada@example.com', 'country' => 'DE', 'city' => 'Berlin' ),
			'shipping'            => array( 'first_name' => 'Ada', 'last_name' => 'Lovelace', 'country' => 'DE', 'city' => 'Berlin' ),
			'line_items'          => array( array( 'product_id' => 11, 'variation_id' => 0, 'name' => 'Mug', 'quantity' => 1, 'total' => '25.00' ) ),
			'shipping_lines'      => array(),
			'coupon_lines'        => array(),
			'meta'                => array(),
		),
		array_intersect_key( $fields, array_flip( array( 'status', 'created_via', 'currency', 'total', 'customer_id', 'customer_ip_address', 'customer_user_agent', 'customer_note', 'payment_method', 'billing', 'shipping', 'line_items', 'shipping_lines', 'coupon_lines', 'meta' ) ) )
	);
	$data['id'] = $id;
	$GLOBALS['wp_stub']['orders'][ $id ] = $data;
	return wc_get_order( $id );
}

function wc_stub_notes( $id ) {
	return isset( $GLOBALS['wp_stub']['notes'][ $id ] ) ? $GLOBALS['wp_stub']['notes'][ $id ] : array();
}

// ---- the plugin ----
require_once dirname( __DIR__, 2 ) . '/wordpress/sovereign-connector/sovereign-connector.php';

/** Loads the plugin as WordPress would (plugins_loaded), after a reset and with these options. */
function wp_stub_boot( array $options = array() ) {
	wp_stub_reset();
	foreach ( $options as $name => $value ) {
		update_option( $name, $value );
	}
	sovereign_connector_boot();
}
