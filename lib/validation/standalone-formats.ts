/**
 * The formats a precompiled validator references by function (ajv inlines those that are a plain
 * pattern, like email). Imported only by generated validators whose schemas use such a format.
 */
export { fullFormats as formats } from 'ajv-formats/dist/formats.js';
