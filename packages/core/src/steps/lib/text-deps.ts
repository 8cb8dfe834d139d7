// The text helpers the model steps use, in one place.
export { tokenize } from '../../text/segment.js';
export { detectLanguage, detectLanguageSync } from '../../text/lang.js';
export { splitSentences } from '../../text/sentences.js';
export { expandQuery } from '../../text/crosslingual.js';
