<?php
/**
 * The plugin's options: names, defaults and the limits nothing can widen.
 *
 * @package SovereignConnector
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads the plugin's options with their defaults and hard limits.
 */
class Sovereign_Connector_Options {

	const URL              = 'sovereign_connector_url';
	const API_KEY          = 'sovereign_connector_api_key';
	const STORE            = 'sovereign_connector_store';
	const TIMEOUT          = 'sovereign_connector_timeout';
	const BREAKER_FAILURES = 'sovereign_connector_breaker_failures';
	const BREAKER_COOLDOWN = 'sovereign_connector_breaker_cooldown';
	const SCORE_ALL        = 'sovereign_connector_score_all_orders';

	/** Transient holding the checkout breaker: failures in a row and when it opened. */
	const BREAKER_TRANSIENT = 'sovereign_connector_breaker';
	/** Transient holding the last health answer. */
	const HEALTH_TRANSIENT = 'sovereign_connector_health';

	/** The checkout call's budget can be lowered, never raised above this (seconds). */
	const MAX_TIMEOUT = 4.0;
	/** Health checks never wait longer than this (seconds). */
	const HEALTH_TIMEOUT = 1.0;
	/** Health answers are cached this long (seconds). */
	const HEALTH_TTL = 60;

	/** Constant or environment variable that may hold the API key instead of the database. */
	const KEY_CONSTANT = 'SOVEREIGN_CONNECTOR_API_KEY';

	/**
	 * Every option this plugin stores (uninstall removes them).
	 *
	 * @return string[]
	 */
	public static function all() {
		return array( self::URL, self::API_KEY, self::STORE, self::TIMEOUT, self::BREAKER_FAILURES, self::BREAKER_COOLDOWN, self::SCORE_ALL );
	}

	/**
	 * Sovereign's base URL without a trailing slash ('' when not set).
	 *
	 * @return string
	 */
	public static function url() {
		return untrailingslashit( trim( (string) get_option( self::URL, '' ) ) );
	}

	/**
	 * The scoped API key: a constant or environment variable first, then the stored option.
	 *
	 * @return string
	 */
	public static function api_key() {
		if ( defined( self::KEY_CONSTANT ) && '' !== (string) constant( self::KEY_CONSTANT ) ) {
			return (string) constant( self::KEY_CONSTANT );
		}
		$env = getenv( self::KEY_CONSTANT );
		if ( is_string( $env ) && '' !== $env ) {
			return $env;
		}
		return trim( (string) get_option( self::API_KEY, '' ) );
	}

	/**
	 * Where the key comes from: 'constant', 'env', 'database' or 'none'.
	 *
	 * @return string
	 */
	public static function api_key_source() {
		if ( defined( self::KEY_CONSTANT ) && '' !== (string) constant( self::KEY_CONSTANT ) ) {
			return 'constant';
		}
		$env = getenv( self::KEY_CONSTANT );
		if ( is_string( $env ) && '' !== $env ) {
			return 'env';
		}
		return '' !== trim( (string) get_option( self::API_KEY, '' ) ) ? 'database' : 'none';
	}

	/**
	 * The store id Sovereign knows this shop by (`sovereign connect --id`), '' for none.
	 *
	 * @return string
	 */
	public static function store() {
		return sanitize_key( (string) get_option( self::STORE, '' ) );
	}

	/**
	 * The checkout call's total timeout in seconds: 0.1 to 4, default 4.
	 *
	 * @return float
	 */
	public static function timeout() {
		return self::clamp( (float) get_option( self::TIMEOUT, self::MAX_TIMEOUT ), 0.1, self::MAX_TIMEOUT );
	}

	/**
	 * Failures in a row that open the breaker (1 to 100, default 3).
	 *
	 * @return int
	 */
	public static function breaker_failures() {
		return (int) self::clamp( (int) get_option( self::BREAKER_FAILURES, 3 ), 1, 100 );
	}

	/**
	 * Seconds the breaker stays open before one call is tried again (5 to 3600, default 60).
	 *
	 * @return int
	 */
	public static function breaker_cooldown() {
		return (int) self::clamp( (int) get_option( self::BREAKER_COOLDOWN, 60 ), 5, 3600 );
	}

	/**
	 * Whether admin-created orders and REST imports are scored too (default no).
	 *
	 * @return bool
	 */
	public static function score_all_orders() {
		return (bool) get_option( self::SCORE_ALL, false );
	}

	/**
	 * Whether the plugin has what it needs to call Sovereign.
	 *
	 * @return bool
	 */
	public static function configured() {
		return '' !== self::url() && '' !== self::api_key();
	}

	/**
	 * Sovereign's console, where every decision can be looked at.
	 *
	 * @return string
	 */
	public static function console_url() {
		return '' === self::url() ? '' : self::url() . '/console';
	}

	/**
	 * A number held between two bounds (not a number: the lower bound).
	 *
	 * @param float $value Value.
	 * @param float $low   Lower bound.
	 * @param float $high  Upper bound.
	 * @return float
	 */
	public static function clamp( $value, $low, $high ) {
		if ( ! is_finite( (float) $value ) ) {
			return $low;
		}
		return max( $low, min( $high, (float) $value ) );
	}
}
