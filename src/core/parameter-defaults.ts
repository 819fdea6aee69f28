/**
 * The defaults of the two parameters the functions read from their environment, for when a variable
 * is unset. The parameter table (parameters.ts) takes its defaults from here, so both agree; the
 * functions import this leaf module instead of the table, so the Lambda bundles do not carry the
 * table and the schedule parser it validates with (3.8 KB of each bundle, and both bundles are
 * inlined in a template that CloudFormation caps at 51,200 bytes).
 */
export const WINDOW_MINUTES_DEFAULT = 5;
export const EVENT_TTL_MINUTES_DEFAULT = 60;
