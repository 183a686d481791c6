// moto's JSON APIs, called the way the AWS SDK calls them (JSON 1.1, X-Amz-Target). moto checks
// no signature; the Authorization header carries the credential scope, which is how it picks the
// region and the service. Cognito for the OpenID provider (passwords, attributes, groups, app
// clients) and the scenarios (an invited user's password, as tests/cognito.rs sets one);
// CodeBuild for the scenarios (the builds the services started).

export function awsJson(motoUrl, region, service, target) {
  return async function call(action, body) {
    const response = await fetch(motoUrl + '/', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `${target}.${action}`,
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = new Error(`${service} ${action}: ${response.status} ${json.__type ?? ''} ${json.message ?? text}`);
      error.type = String(json.__type ?? '').split('#').pop();
      throw error;
    }
    return json;
  };
}

export const cognito = (motoUrl, region) => awsJson(motoUrl, region, 'cognito-idp', 'AWSCognitoIdentityProviderService');
export const codebuild = (motoUrl, region) => awsJson(motoUrl, region, 'codebuild', 'CodeBuild_20161006');
