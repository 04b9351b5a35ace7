/**
 * `default_member_permissions` of the operator commands: "0" hides them from everyone but
 * administrators until a server admin allows the operator role (Server Settings → Integrations →
 * stormguard). The operator-role check in the router stays: Discord's setting is a convenience the
 * admin can change, not our access control.
 */
export const OPERATORS_ONLY = '0';
