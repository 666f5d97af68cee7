import { keyword } from './keyword.js';

// The email format does not limit the part before the @, which mail systems cap at 64 characters.
export const emailLocalPart = keyword('emailLocalPart', (max: number, email: string) =>
  email.lastIndexOf('@') <= max ? [] : [`The part before the @ must be at most ${max} characters`],
);

// Nor the labels of the domain, which DNS caps at 63 characters: no mail can be delivered past one.
export const emailDomainLabel = keyword('emailDomainLabel', (max: number, email: string) =>
  email.slice(email.lastIndexOf('@') + 1).split('.').every((label) => label.length <= max)
    ? []
    : [`Each part of the domain after the @ must be at most ${max} characters`],
);
