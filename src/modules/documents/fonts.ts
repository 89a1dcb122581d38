import { fileURLToPath } from 'node:url';
import { resolve, sep } from 'node:path';
import type { TFontDictionary } from 'pdfmake/interfaces';

/**
 * The one font documents are set in: DejaVu Sans, shipped in assets/fonts with its licence. PDF's built-in fonts only
 * encode Western European text, and customers are named in Cyrillic, Greek and more; the machine's fonts may be
 * missing or differ between hosts, which would make the same invoice render differently.
 */
export const DOCUMENT_FONT = 'DejaVuSans';

export const FONT_DIRECTORY = fileURLToPath(new URL('../../../assets/fonts/', import.meta.url));

const regular = resolve(FONT_DIRECTORY, 'DejaVuSans.ttf');
const bold = resolve(FONT_DIRECTORY, 'DejaVuSans-Bold.ttf');

/** No italic face is shipped: a style asking for italics gets the upright face instead of an error. */
export const documentFonts: TFontDictionary = {
  [DOCUMENT_FONT]: { normal: regular, bold, italics: regular, bolditalics: bold },
};

/** Documents read nothing from disk but these font files. */
export const isFontFile = (path: string): boolean => resolve(path).startsWith(resolve(FONT_DIRECTORY) + sep);
