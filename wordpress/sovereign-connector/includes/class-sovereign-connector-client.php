<?php
/**
 * The only code that talks to Sovereign: bounded HTTP calls, a breaker, the health cache.
 *
 * @package SovereignConnector
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Calls Sovereign with hard timeouts. Never throws: every failure comes back as an error string.
 */
class Sovereign_Connector_Client {

	/** Header that marks this plugin's own requests (the timeout clamp looks for it). */
	const MARK = 'X-Sovereign-Connector';

	/**
	 * Registers the clamp that keeps other plugins from stretching this plugin's timeouts.
	 *
	 * @return void
	 */
	public function register() {
		add_filter( 'http_request_args', array( $this, 'clamp_request' ), PHP_INT_MAX, 2 );
	}

	/**
	 * Keeps the timeout this plugin asked for, whatever a filter before it did.
	 *
	 * @param array  $args Request arguments.
	 * @param string $url  Request URL.
	 * @return array
	 */
	public function clamp_request( $args, $url ) {
		if ( isset( $args['headers'][ self::MARK ] ) ) {
			$asked               = (float) $args['headers'][ self::MARK ];
			$args['timeout']     = min( (float) ( isset( $args['timeout'] ) ? $args['timeout'] : $asked ), $asked );
			$args['redirection'] = 0;
			$args['blocking']    = true;
		}
		return $args;
	}

	/**
	 * Asks Sovereign to score an order at checkout.
	 *
	 * @param array $order WooCommerce order JSON (the REST shape).
	 * @return array {
	 *     @type bool       $called  Whether a request was sent (false: not configured or breaker open).
	 *     @type array|null $answer  Sovereign's answer when it was a usable one.
	 *     @type string     $error   Why there is no answer ('' when there is one).
	 *     @type float      $elapsed Seconds spent.
	 * }
	 */
	public function score( array $order ) {
		$started = microtime( true );
		if ( ! Sovereign_Connector_Options::configured() ) {
			return $this->outcome( false, null, 'not_configured', $started );
		}
		$open_for = $this->breaker_open_for();
		if ( $open_for > 0 ) {
			return $this->outcome( false, null, sprintf( 'breaker_open (%ds left)', $open_for ), $started );
		}
		$body = array( 'order' => $order );
		if ( '' !== Sovereign_Connector_Options::store() ) {
			$body['store'] = Sovereign_Connector_Options::store();
		}
		$timeout  = Sovereign_Connector_Options::timeout();
		$response = $this->request( 'POST', '/v1/fraud/score', $timeout, wp_json_encode( $body ) );
		$answer   = null;
		$error    = $this->problem( $response, $started, $timeout );
		if ( '' === $error ) {
			$answer = json_decode( (string) wp_remote_retrieve_body( $response ), true );
			if ( ! is_array( $answer ) || ! isset( $answer['decision'], $answer['score'] ) || ! is_string( $answer['decision'] ) ) {
				$error  = 'unusable_answer';
				$answer = null;
			}
		}
		// A 400 is about this order, not about Sovereign: it does not count against the breaker.
		$this->breaker_record( '' === $error || 'http_400' === $error );
		return $this->outcome( true, $answer, $error, $started );
	}

	/**
	 * Sovereign's state: 'ok', 'degraded' or 'unreachable', from its readiness endpoint.
	 *
	 * Reads the cache only, unless $refresh: then asks Sovereign (1 s at most) and caches the answer for a minute.
	 *
	 * @param bool $refresh Ask Sovereign when the cache is empty.
	 * @return array|null { state, detail, checked_at } or null when nothing is cached yet.
	 */
	public function health( $refresh = false ) {
		$cached = get_transient( Sovereign_Connector_Options::HEALTH_TRANSIENT );
		if ( is_array( $cached ) || ! $refresh ) {
			return is_array( $cached ) ? $cached : null;
		}
		$state  = 'unreachable';
		$detail = '';
		if ( '' === Sovereign_Connector_Options::url() ) {
			$detail = 'not_configured';
		} else {
			$response = $this->request( 'GET', '/readyz', Sovereign_Connector_Options::HEALTH_TIMEOUT );
			$doc      = is_wp_error( $response ) ? null : json_decode( (string) wp_remote_retrieve_body( $response ), true );
			$code     = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
			if ( is_wp_error( $response ) ) {
				$detail = $response->get_error_message();
			} elseif ( ! is_array( $doc ) || ! isset( $doc['ready'] ) ) {
				$detail = sprintf( 'HTTP %d without a readiness answer', $code );
			} else {
				$degraded = isset( $doc['checks']['degraded']['degraded'] ) ? (array) $doc['checks']['degraded']['degraded'] : array();
				$state    = ( true === $doc['ready'] && 200 === $code && empty( $degraded ) ) ? 'ok' : 'degraded';
				$detail   = empty( $degraded ) ? ( true === $doc['ready'] ? '' : 'not ready' ) : 'degraded: ' . implode( ', ', array_map( 'strval', $degraded ) );
			}
		}
		$health = array(
			'state'      => $state,
			'detail'     => substr( (string) $detail, 0, 200 ),
			'checked_at' => time(),
		);
		set_transient( Sovereign_Connector_Options::HEALTH_TRANSIENT, $health, Sovereign_Connector_Options::HEALTH_TTL );
		return $health;
	}

	/**
	 * Connection test for the settings page: readiness, then the key against the scoring endpoint.
	 *
	 * @return array { ok: bool, message: string }
	 */
	public function test_connection() {
		if ( '' === Sovereign_Connector_Options::url() ) {
			return array( 'ok' => false, 'message' => __( 'Set Sovereign\'s URL first.', 'sovereign-connector' ) );
		}
		delete_transient( Sovereign_Connector_Options::HEALTH_TRANSIENT );
		$health = $this->health( true );
		if ( 'unreachable' === $health['state'] ) {
			/* translators: %s: the error */
			return array( 'ok' => false, 'message' => sprintf( __( 'Sovereign is unreachable: %s', 'sovereign-connector' ), $health['detail'] ) );
		}
		if ( '' === Sovereign_Connector_Options::api_key() ) {
			return array( 'ok' => false, 'message' => __( 'Sovereign answers, but no API key is set.', 'sovereign-connector' ) );
		}
		$body = array(
			'order' => array(
				'billing'    => array( 'email' => 'connection-test@example.invalid', 'country' => 'US' ),
				'line_items' => array(),
			),
		);
		if ( '' !== Sovereign_Connector_Options::store() ) {
			$body['store'] = Sovereign_Connector_Options::store();
		}
		$response = $this->request( 'POST', '/v1/fraud/score', Sovereign_Connector_Options::timeout(), wp_json_encode( $body ) );
		$code     = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
		$messages = array(
			200 => __( 'Connected: the key may score orders.', 'sovereign-connector' ),
			401 => __( 'Sovereign refused the API key (401). Create one with: sovereign keys create wordpress --features fraud', 'sovereign-connector' ),
			403 => __( 'This API key may not use the fraud feature (403).', 'sovereign-connector' ),
			404 => __( 'Sovereign does not know this store id (404): use the id shown by sovereign connect.', 'sovereign-connector' ),
			429 => __( 'This API key is over its rate limit (429).', 'sovereign-connector' ),
		);
		if ( isset( $messages[ $code ] ) ) {
			return array( 'ok' => 200 === $code, 'message' => $messages[ $code ] );
		}
		$why = is_wp_error( $response ) ? $response->get_error_message() : sprintf( 'HTTP %d', $code );
		/* translators: %s: the error */
		return array( 'ok' => false, 'message' => sprintf( __( 'The scoring call failed: %s', 'sovereign-connector' ), $why ) );
	}

	/**
	 * Seconds the breaker stays open (0: closed, calls go out).
	 *
	 * @return int
	 */
	public function breaker_open_for() {
		$b = get_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT );
		if ( ! is_array( $b ) || empty( $b['open_until'] ) ) {
			return 0;
		}
		return max( 0, (int) $b['open_until'] - time() );
	}

	/**
	 * Counts a call's outcome: a success closes the breaker, N failures in a row open it for M seconds.
	 *
	 * @param bool $ok Whether the call succeeded.
	 * @return void
	 */
	private function breaker_record( $ok ) {
		if ( $ok ) {
			if ( false !== get_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT ) ) {
				delete_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT );
			}
			return;
		}
		$b        = get_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT );
		$failures = ( is_array( $b ) && isset( $b['failures'] ) ? (int) $b['failures'] : 0 ) + 1;
		$cooldown = Sovereign_Connector_Options::breaker_cooldown();
		$state    = array(
			'failures'   => $failures,
			'open_until' => $failures >= Sovereign_Connector_Options::breaker_failures() ? time() + $cooldown : 0,
		);
		set_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT, $state, $cooldown * 10 );
	}

	/**
	 * One bounded request to Sovereign.
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path below the base URL.
	 * @param float       $timeout Total seconds.
	 * @param string|null $body    JSON body.
	 * @return array|WP_Error
	 */
	private function request( $method, $path, $timeout, $body = null ) {
		$args = array(
			'method'      => $method,
			'timeout'     => $timeout,
			'redirection' => 0,
			'user-agent'  => 'sovereign-connector/' . SOVEREIGN_CONNECTOR_VERSION,
			'headers'     => array(
				'Accept'   => 'application/json',
				self::MARK => (string) $timeout,
			),
		);
		if ( null !== $body ) {
			$args['body']                     = $body;
			$args['headers']['Content-Type']  = 'application/json';
			$args['headers']['Authorization'] = 'Bearer ' . Sovereign_Connector_Options::api_key();
		}
		return wp_remote_request( Sovereign_Connector_Options::url() . $path, $args );
	}

	/**
	 * Why a scoring response is not an answer ('' when it is one).
	 *
	 * @param array|WP_Error $response The response.
	 * @param float          $started  When the call started (microtime).
	 * @param float          $timeout  The call's budget.
	 * @return string
	 */
	private function problem( $response, $started, $timeout ) {
		if ( is_wp_error( $response ) ) {
			return 'http_error: ' . $response->get_error_message();
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( 200 !== $code ) {
			return sprintf( 'http_%d', $code );
		}
		if ( microtime( true ) - $started > $timeout + 0.25 ) {
			return 'too_slow';
		}
		return '';
	}

	/**
	 * The result array score() returns.
	 *
	 * @param bool       $called  Whether a request went out.
	 * @param array|null $answer  The answer.
	 * @param string     $error   Why there is none.
	 * @param float      $started Start time.
	 * @return array
	 */
	private function outcome( $called, $answer, $error, $started ) {
		return array(
			'called'  => $called,
			'answer'  => $answer,
			'error'   => $error,
			'elapsed' => microtime( true ) - $started,
		);
	}
}
