import pdfmake from 'pdfmake';
import type { TDocumentDefinitions } from 'pdfmake/interfaces';
import { documentFonts, isFontFile } from './fonts.ts';

let configured = false;

/** pdfmake keeps its fonts and access policies on one shared instance; set them once, before the first document. */
const configure = () => {
  if (configured) return;
  pdfmake.setFonts(documentFonts);
  // A document definition is built from billing data, which could name a URL or a path as an image: fetch nothing,
  // read nothing but the shipped fonts.
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy(isFontFile);
  configured = true;
};

/** Prints a pdfmake document definition to PDF bytes. The same definition (with a fixed `info.creationDate`) gives the same bytes. */
export const renderPdf = (definition: TDocumentDefinitions): Promise<Buffer> => {
  configure();
  return pdfmake.createPdf(definition).getBuffer();
};
