import { createLocalJWKSet, importSPKI, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';

/** How subscribe tokens are checked: a shared HS256 secret, or a public key (PEM SPKI or JWK) for ES256/RS256/EdDSA. */
export interface TokenOptions {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
}

/** A verified token: the topics it opens and when it stops opening them (ms since the epoch; Infinity without `exp`). */
export interface TokenGrant { topics: ReadonlySet<string> | 'any'; expiresAt: number }

export type TokenCheck = ({ ok: true } & TokenGrant) | { ok: false; message: string };

/**
 * Verifies access tokens carried on `subscribe` (and in `Authorization: Bearer` at `GET /ice-servers`). A token's
 * `topics` claim lists the topics it opens (or `["*"]` for all); `exp` is enforced by jose.
 */
export class TokenVerifier {
  private readonly key: Promise<Uint8Array | CryptoKey | JWTVerifyGetKey>;

  constructor(private readonly options: TokenOptions) {
    if (options.secret !== undefined) this.key = Promise.resolve(new TextEncoder().encode(options.secret));
    else if (options.publicKey !== undefined) {
      const text = options.publicKey.trim();
      this.key = text.startsWith('{')
        ? Promise.resolve(createLocalJWKSet({ keys: [JSON.parse(text) as JWK] }))
        : importSPKI(text, 'ES256').catch(() => importSPKI(text, 'RS256'));
    } else throw new Error('TokenVerifier needs a secret or a public key');
  }

  async check(token: string | undefined): Promise<TokenCheck> {
    if (token === undefined) return { ok: false, message: 'this relay requires an access token: send "token" on subscribe' };
    try {
      const key = await this.key;
      const verifyOptions = { issuer: this.options.issuer, audience: this.options.audience };
      const { payload } = typeof key === 'function'
        ? await jwtVerify(token, key, verifyOptions)
        : await jwtVerify(token, key, verifyOptions);
      const topics = payload.topics;
      if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string')) return { ok: false, message: 'token has no "topics" claim' };
      const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity;
      return { ok: true, topics: topics.includes('*') ? 'any' : new Set(topics as string[]), expiresAt };
    } catch (error) {
      return { ok: false, message: `invalid access token: ${(error as Error).message}` };
    }
  }
}
