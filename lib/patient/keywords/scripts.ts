/**
 * Unicode scripts, for the "one script per name" rule (UTS #39 §5.1, mixed-script detection, at its
 * Highly Restrictive level). Written with Script_Extensions (`\p{scx=…}`), the property UTS #39
 * resolves scripts with: a character used by several scripts (a Devanagari danda, a CJK mark) counts
 * for each. The names are every Script value of Unicode 17 but Common, Inherited and Unknown;
 * test/unit/name-scripts.test.ts proves that every letter, mark and digit the running Node knows
 * belongs to one of them, so an upgrade that adds a script fails the test rather than this rule.
 */
const SCRIPT_NAMES = [
  'Adlam', 'Ahom', 'Anatolian_Hieroglyphs', 'Arabic', 'Armenian', 'Avestan', 'Balinese', 'Bamum', 'Bassa_Vah', 'Batak',
  'Bengali', 'Beria_Erfe', 'Bhaiksuki', 'Bopomofo', 'Brahmi', 'Braille', 'Buginese', 'Buhid', 'Canadian_Aboriginal', 'Carian',
  'Caucasian_Albanian', 'Chakma', 'Cham', 'Cherokee', 'Chorasmian', 'Coptic', 'Cuneiform', 'Cypriot', 'Cypro_Minoan', 'Cyrillic',
  'Deseret', 'Devanagari', 'Dives_Akuru', 'Dogra', 'Duployan', 'Egyptian_Hieroglyphs', 'Elbasan', 'Elymaic', 'Ethiopic', 'Garay',
  'Georgian', 'Glagolitic', 'Gothic', 'Grantha', 'Greek', 'Gujarati', 'Gunjala_Gondi', 'Gurmukhi', 'Gurung_Khema', 'Han',
  'Hangul', 'Hanifi_Rohingya', 'Hanunoo', 'Hatran', 'Hebrew', 'Hiragana', 'Imperial_Aramaic', 'Inscriptional_Pahlavi',
  'Inscriptional_Parthian', 'Javanese', 'Kaithi', 'Kannada', 'Katakana', 'Kawi', 'Kayah_Li', 'Kharoshthi', 'Khitan_Small_Script',
  'Khmer', 'Khojki', 'Khudawadi', 'Kirat_Rai', 'Lao', 'Latin', 'Lepcha', 'Limbu', 'Linear_A', 'Linear_B', 'Lisu', 'Lycian',
  'Lydian', 'Mahajani', 'Makasar', 'Malayalam', 'Mandaic', 'Manichaean', 'Marchen', 'Masaram_Gondi', 'Medefaidrin', 'Meetei_Mayek',
  'Mende_Kikakui', 'Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Modi', 'Mongolian', 'Mro', 'Multani', 'Myanmar',
  'Nabataean', 'Nag_Mundari', 'Nandinagari', 'New_Tai_Lue', 'Newa', 'Nko', 'Nushu', 'Nyiakeng_Puachue_Hmong', 'Ogham', 'Ol_Chiki',
  'Ol_Onal', 'Old_Hungarian', 'Old_Italic', 'Old_North_Arabian', 'Old_Permic', 'Old_Persian', 'Old_Sogdian', 'Old_South_Arabian',
  'Old_Turkic', 'Old_Uyghur', 'Oriya', 'Osage', 'Osmanya', 'Pahawh_Hmong', 'Palmyrene', 'Pau_Cin_Hau', 'Phags_Pa', 'Phoenician',
  'Psalter_Pahlavi', 'Rejang', 'Runic', 'Samaritan', 'Saurashtra', 'Sharada', 'Shavian', 'Siddham', 'Sidetic', 'SignWriting',
  'Sinhala', 'Sogdian', 'Sora_Sompeng', 'Soyombo', 'Sundanese', 'Sunuwar', 'Syloti_Nagri', 'Syriac', 'Tagalog', 'Tagbanwa',
  'Tai_Le', 'Tai_Tham', 'Tai_Viet', 'Tai_Yo', 'Takri', 'Tamil', 'Tangsa', 'Tangut', 'Telugu', 'Thaana', 'Thai', 'Tibetan',
  'Tifinagh', 'Tirhuta', 'Todhri', 'Tolong_Siki', 'Toto', 'Tulu_Tigalari', 'Ugaritic', 'Vai', 'Vithkuqi', 'Wancho', 'Warang_Citi',
  'Yezidi', 'Yi', 'Zanabazar_Square',
] as const;

// Built on the first name judged, not at import: a function that never judges a name pays nothing.
let scripts: readonly (readonly [string, RegExp])[] | undefined;
const scriptTests = () => (scripts ??= SCRIPT_NAMES.map((name) => [name, new RegExp(`^\\p{scx=${name}}$`, 'u')] as const));

/** Characters of every script (spaces, punctuation, digits 0-9) or of their base's (combining marks). */
const ANY_SCRIPT = /^[\p{scx=Common}\p{scx=Inherited}]$/u;

/**
 * UTS #39's augmented script sets: Han is also written as part of Japanese (Jpan), Korean (Kore) and
 * Han with Bopomofo (Hanb), so a Japanese name mixing kanji and kana is one script, as is a Korean one
 * mixing hanja and hangul.
 */
const AUGMENTED: Readonly<Record<string, readonly string[]>> = {
  Han: ['Jpan', 'Kore', 'Hanb'], Hiragana: ['Jpan'], Katakana: ['Jpan'], Hangul: ['Kore'], Bopomofo: ['Hanb'],
};

/** The scripts a character counts for (its Script_Extensions, augmented); undefined if it counts for any. */
export function scriptsOf(char: string): ReadonlySet<string> | undefined {
  if (ANY_SCRIPT.test(char)) return undefined;
  const own = scriptTests().filter(([, test]) => test.test(char)).map(([name]) => name);
  return new Set([...own, ...own.flatMap((name) => AUGMENTED[name] ?? [])]);
}

/** UTS #39's resolved script set: the scripts every character counts for; undefined if none is tied to one. */
function resolvedScripts(text: string): ReadonlySet<string> | undefined {
  let resolved: Set<string> | undefined;
  for (const char of text) {
    const own = scriptsOf(char);
    if (!own) continue;
    resolved = resolved ? new Set([...resolved].filter((name) => own.has(name))) : new Set(own);
  }
  return resolved;
}

const isSingleScript = (text: string) => (resolvedScripts(text)?.size ?? 1) > 0;
const LATIN = /\p{scx=Latin}/gu;

/**
 * UTS #39 §5.2 Highly Restrictive: one script, or Latin with Japanese, Korean or Han+Bopomofo (how
 * those languages are written beside Latin). "Jane" with a Lisu "ꓸ", or Latin with Cyrillic
 * look-alikes, is neither.
 */
export function isHighlyRestrictive(text: string): boolean {
  if (isSingleScript(text)) return true;
  const rest = resolvedScripts(text.replace(LATIN, ''));
  return rest !== undefined && ['Jpan', 'Kore', 'Hanb'].some((name) => rest.has(name));
}

export const SCRIPT_NAMES_FOR_TESTS: readonly string[] = SCRIPT_NAMES;
