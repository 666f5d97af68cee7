/**
 * Placeholder so the CDK app synthesizes (NodejsFunction needs the entry) while the issue-11 handler
 * is written on another branch; the merge takes that one. Never deployed as is.
 */
export const handler = async () => ({
  statusCode: 501,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ success: false, message: 'Not implemented' }),
});
