import { maskPhone } from '../mask';

/** Digit runs long enough to be a phone number (with or without +country code). */
const PHONE_LIKE = /\+?\d{11,15}\b/g;

/**
 * For text we did not write ourselves (error messages and stacks from drivers
 * and libraries): phone numbers masked, never logged in full.
 */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_LIKE, (match) => maskPhone(match));
}

/** A URL without its query string: the compatibility route carries the WeChat code there. */
export function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0];
}
