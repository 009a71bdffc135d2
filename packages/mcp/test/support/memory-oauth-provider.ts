import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * An MCP client's OAuth provider that keeps everything in memory, as a CLI client would: the registered
 * client (RFC 7591), the PKCE verifier, the tokens, and the last authorization URL it was sent to.
 */
export class MemoryOAuthProvider implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:47999/callback';
  authorizationUrls: URL[] = [];
  registered: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';

  constructor(tokens?: OAuthTokens) {
    this.#tokens = tokens;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'AgentGate MCP test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() {
    return this.registered;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.registered = information;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.#tokens = tokens;
  }
  redirectToAuthorization(authorizationUrl: URL) {
    this.authorizationUrls.push(authorizationUrl);
  }
  saveCodeVerifier(codeVerifier: string) {
    this.#verifier = codeVerifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
}
