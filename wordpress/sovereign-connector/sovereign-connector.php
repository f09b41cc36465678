<?php
/**
 * Plugin Name:       Sovereign Connector
 * Plugin URI:        https://github.com/sovereign/sovereign
 * Description:       Thin companion for a self-hosted Sovereign service: checkout fraud scoring that cannot hang the checkout, and Sovereign's state in wp-admin.
 * Version:           0.1.0
 * Requires at least: 6.4
 * Requires PHP:      7.4
 * Author:            Sovereign
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       sovereign-connector
 * Domain Path:       /languages
 * WC requires at least: 8.0
 *
 * @package SovereignConnector
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'SOVEREIGN_CONNECTOR_VERSION', '0.1.0' );
define( 'SOVEREIGN_CONNECTOR_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-sovereign-connector-options.php';
require_once __DIR__ . '/includes/class-sovereign-connector-client.php';
require_once __DIR__ . '/includes/class-sovereign-connector-checkout.php';
require_once __DIR__ . '/includes/class-sovereign-connector-admin.php';
require_once __DIR__ . '/includes/class-sovereign-connector-status.php';

/**
 * Wires the plugin's hooks. Every decision stays in Sovereign: this plugin only asks and applies.
 *
 * @return void
 */
function sovereign_connector_boot() {
	$client   = new Sovereign_Connector_Client();
	$checkout = new Sovereign_Connector_Checkout( $client );
	$checkout->register();
	( new Sovereign_Connector_Status( $client ) )->register();
	( new Sovereign_Connector_Admin( $client ) )->register();
}
add_action( 'plugins_loaded', 'sovereign_connector_boot' );

/**
 * Loads translations.
 *
 * @return void
 */
function sovereign_connector_textdomain() {
	load_plugin_textdomain( 'sovereign-connector', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
}
add_action( 'init', 'sovereign_connector_textdomain' );
