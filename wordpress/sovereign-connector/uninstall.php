<?php
/**
 * Removes everything the plugin stored: its options and transients. Orders keep their notes and meta.
 *
 * @package SovereignConnector
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-sovereign-connector-options.php';

foreach ( Sovereign_Connector_Options::all() as $sovereign_connector_option ) {
	delete_option( $sovereign_connector_option );
}
delete_transient( Sovereign_Connector_Options::BREAKER_TRANSIENT );
delete_transient( Sovereign_Connector_Options::HEALTH_TRANSIENT );
delete_transient( 'sovereign_connector_health_lock' );
