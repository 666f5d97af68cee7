/** Placeholder so the CDK app synthesizes on the infra branch; the real handler replaces it on merge. */
export const handler = async () => ({
  statusCode: 501,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ success: false, message: 'Not implemented' }),
});
