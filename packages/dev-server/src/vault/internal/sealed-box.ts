import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A value sealed with AES-256-GCM: what the vault keeps in memory instead of a token. */
export interface Sealed {
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/**
 * AES-256-GCM with a key generated when the vault starts (never exported). The additional
 * authenticated data binds a sealed value to its record, so a ciphertext moved to another user's
 * record does not open.
 */
export class SealedBox {
  readonly #key = randomBytes(32);

  seal(plaintext: string, associatedData: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      iv: iv.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  }

  open(sealed: Sealed, associatedData: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
