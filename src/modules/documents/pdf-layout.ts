import type { Column, Content, ContentTable, ContextPageSize, CustomTableLayout, TableCell, TDocumentDefinitions } from 'pdfmake/interfaces';
import { DOCUMENT_FONT } from './fonts.ts';

/**
 * The page layout billing documents share (an invoice now, a credit note later): a header with the title, a status
 * marker and key facts, the two parties, tables of lines, a totals block and a closing note, numbered pages. It
 * knows nothing of invoices: callers pass text already formatted, and each section builder is exported so another
 * document can arrange them its own way.
 */

export interface PartyBlock {
  /** "From", "Bill to". */
  heading: string;
  name: string;
  /** Address, e-mail, tax and registration numbers, one per line; empty ones are dropped. */
  lines: Array<string | null | undefined>;
}

export interface MetaField {
  label: string;
  value: string;
}

export interface Marker {
  text: string;
  tone: 'alert' | 'muted' | 'success';
}

export interface LineColumn {
  header: string;
  /**
   * Points; '*' for the column that takes the rest of the width (the description); 'fit' for the width of its widest
   * text, the same in every table of the document so that their columns line up.
   */
  width: number | '*' | 'fit';
  align: 'left' | 'right';
}

export interface LineItem {
  /** One formatted text per column; the first is the label. */
  cells: string[];
  /** Smaller lines under the label: a filter, a period, a description. */
  details?: string[];
  /** A breakdown row (a pricing tier) belongs to the item above it: indented, smaller, no rule between them. */
  kind?: 'item' | 'breakdown';
}

export interface LineSection {
  /** Repeated with the column headers at the top of every page the table runs onto. */
  title: string | null;
  subtitle: string | null;
  columns: LineColumn[];
  items: LineItem[];
}

export interface TotalLine {
  label: string;
  /** A smaller line under the label, e.g. the base a tax was computed on. */
  note?: string;
  value: string;
  /** `subtotal` rows are set off by a rule, the `grand` one (what is due) stands out. */
  kind?: 'line' | 'subtotal' | 'grand';
}

export interface DocumentLayout {
  /** "Invoice". */
  title: string;
  /** The document's number, repeated in every page's footer. */
  reference: string;
  marker: Marker | null;
  /** A sentence under the header, e.g. why a draft's amounts may still change. */
  notice: string | null;
  meta: MetaField[];
  issuer: PartyBlock;
  recipient: PartyBlock;
  sections: LineSection[];
  /** Shown when there are no sections, so that an empty document says so. */
  noLinesText: string;
  totals: TotalLine[];
  /** The organization's own words at the end (its invoice footer). */
  closingNote: string | null;
  pageLabel: (page: number, pageCount: number) => string;
  /** PDF metadata. The creation date comes from the caller, so the same input gives the same bytes. */
  info: { title: string; author: string; subject: string; creationDate: Date };
}

const COLOR = {
  text: '#1f2937',
  muted: '#6b7280',
  rule: '#e5e7eb',
  strongRule: '#9ca3af',
  headerFill: '#f3f4f6',
  grandFill: '#f3f4f6',
};

const MARKER_COLORS: Record<Marker['tone'], { fill: string; text: string }> = {
  alert: { fill: '#fee2e2', text: '#b91c1c' },
  muted: { fill: '#e5e7eb', text: '#374151' },
  success: { fill: '#dcfce7', text: '#166534' },
};

/** The notice under the header takes a paler shade of the marker's tone. */
const NOTICE_FILLS: Record<Marker['tone'], string> = { alert: '#fef3c7', muted: '#f3f4f6', success: '#f0fdf4' };

const PAGE_MARGINS: [number, number, number, number] = [40, 40, 40, 56];
const FONT_SIZE = 9;
const CELL_PADDING = 4;
const FIT_GAP = 10;
const MIN_FIT_WIDTH = 48;

/**
 * The advance width of DejaVu Sans' characters in ems, by kind: enough to size a column of figures without measuring
 * the text (pdfmake measures only once it lays out), erring wide.
 */
const emWidth = (c: string): number => {
  if (c >= '0' && c <= '9') return 0.64;
  if (c === ',' || c === '.' || c === ' ' || c === ':') return 0.32;
  if (c === '%') return 0.95;
  if (c >= 'A' && c <= 'Z') return 0.75;
  if (c >= 'a' && c <= 'z') return 0.62;
  return 0.7;
};

const textWidth = (text: string, fontSize: number): number => [...text].reduce((sum, c) => sum + emWidth(c), 0) * fontSize;

/** Resolves 'fit' column widths to the widest header or cell among all the sections, column by column. */
export const fitColumns = (sections: LineSection[]): LineSection[] => {
  const widest = new Map<number, number>();
  for (const section of sections) {
    section.columns.forEach((column, i) => {
      if (column.width !== 'fit') return;
      const texts = [{ text: column.header, size: 8 }, ...section.items.map((item) => ({ text: item.cells[i] ?? '', size: FONT_SIZE }))];
      const width = Math.max(...texts.map((t) => textWidth(t.text, t.size)));
      // Some air between the columns of figures, which have no rules between them.
      widest.set(i, Math.max(widest.get(i) ?? 0, MIN_FIT_WIDTH, Math.ceil(width) + 2 * CELL_PADDING + FIT_GAP));
    });
  }
  return sections.map((section) => ({
    ...section,
    columns: section.columns.map((column, i) => (column.width === 'fit' ? { ...column, width: widest.get(i) ?? 40 } : column)),
  }));
};

const present = (lines: Array<string | null | undefined>): string[] =>
  lines.filter((line): line is string => typeof line === 'string' && line.trim() !== '');

/** A one-cell table used as a coloured box, since pdfmake's text background has no padding. */
const box = (content: Content, fill: string, padding: [number, number]): ContentTable => ({
  table: { body: [[content as TableCell]] },
  layout: {
    fillColor: () => fill,
    hLineWidth: () => 0,
    vLineWidth: () => 0,
    paddingLeft: () => padding[0],
    paddingRight: () => padding[0],
    paddingTop: () => padding[1],
    paddingBottom: () => padding[1],
  },
});

export const markerBadge = (marker: Marker): ContentTable => {
  const colors = MARKER_COLORS[marker.tone];
  return box({ text: marker.text, bold: true, fontSize: 10, color: colors.text, characterSpacing: 1 }, colors.fill, [8, 3]);
};

/** Title, marker and key facts on the left, the issuer's name on the right. */
export const headerBlock = (layout: Pick<DocumentLayout, 'title' | 'marker' | 'meta' | 'issuer' | 'notice'>): Content => {
  const titleColumns: Column[] = [{ text: layout.title, fontSize: 22, bold: true, width: 'auto' }];
  if (layout.marker) titleColumns.push({ ...markerBadge(layout.marker), width: 'auto', margin: [12, 6, 0, 0] });
  const titleRow: Content = { columns: titleColumns };
  const meta: Content = {
    margin: [0, 10, 0, 0],
    table: {
      body: layout.meta.map((field) => [
        { text: field.label, color: COLOR.muted },
        { text: field.value, bold: true },
      ]),
    },
    layout: {
      hLineWidth: () => 0,
      vLineWidth: () => 0,
      paddingLeft: (i) => (i === 0 ? 0 : 12),
      paddingRight: () => 0,
      paddingTop: () => 1,
      paddingBottom: () => 1,
    },
  };
  return {
    stack: [
      {
        columns: [
          { width: '*', stack: layout.meta.length > 0 ? [titleRow, meta] : [titleRow] },
          { width: 200, text: layout.issuer.name, bold: true, fontSize: 12, alignment: 'right', margin: [0, 6, 0, 0] },
        ],
      },
      ...(layout.notice
        ? [{ ...box({ text: layout.notice }, NOTICE_FILLS[layout.marker?.tone ?? 'alert'], [8, 5]), margin: [0, 14, 0, 0] } as ContentTable]
        : []),
    ],
  };
};

const partyColumn = (party: PartyBlock): Column => ({
  width: '*',
  stack: [
    { text: party.heading, color: COLOR.muted, fontSize: 8, bold: true, characterSpacing: 0.5, margin: [0, 0, 0, 4] },
    { text: party.name, bold: true, fontSize: 10 },
    ...present(party.lines).map((line) => ({ text: line })),
  ],
});

export const partiesBlock = (issuer: PartyBlock, recipient: PartyBlock): Content => ({
  margin: [0, 22, 0, 0],
  columnGap: 24,
  columns: [partyColumn(issuer), partyColumn(recipient)],
});

/**
 * A table of lines. The section title and the column headers are header rows, so pdfmake repeats them at the top of
 * each page a long table runs onto; rows are never split across pages.
 */
export const linesTable = (section: LineSection): Content => {
  const { columns } = section;
  const headerRows: TableCell[][] = [];
  if (section.title !== null) {
    headerRows.push([
      {
        colSpan: columns.length,
        stack: [
          { text: section.title, bold: true, fontSize: 10.5 },
          ...(section.subtitle ? [{ text: section.subtitle, color: COLOR.muted, fontSize: 8 }] : []),
        ],
      },
      ...columns.slice(1).map(() => ({})),
    ]);
  }
  headerRows.push(
    columns.map((c) => ({ text: c.header, bold: true, fontSize: 8, color: COLOR.muted, alignment: c.align, fillColor: COLOR.headerFill })),
  );
  const itemRows: TableCell[][] = section.items.map((item) => {
    const breakdown = item.kind === 'breakdown';
    return columns.map((column, i): TableCell => {
      const text = item.cells[i] ?? '';
      if (i === 0) {
        const details = (item.details ?? []).map((d) => ({ text: d, fontSize: 7.5, color: COLOR.muted }));
        return breakdown
          ? { stack: [{ text, fontSize: 8, color: COLOR.muted }, ...details], margin: [12, 0, 0, 0] }
          : { stack: [{ text }, ...details] };
      }
      return { text, alignment: column.align, noWrap: true, ...(breakdown && { fontSize: 8, color: COLOR.muted }) };
    });
  });
  const body = [...headerRows, ...itemRows];
  const firstItem = headerRows.length;
  const kinds = section.items.map((item) => item.kind ?? 'item');
  const layout: CustomTableLayout = {
    hLineWidth: (i) => {
      if (i === firstItem) return 0.8;
      if (i < firstItem) return 0;
      if (i === body.length) return 0.8;
      return kinds[i - firstItem] === 'breakdown' ? 0 : 0.5;
    },
    hLineColor: (i) => (i === firstItem || i === body.length ? COLOR.strongRule : COLOR.rule),
    vLineWidth: () => 0,
    paddingLeft: (i) => (i === 0 ? 6 : CELL_PADDING),
    paddingRight: (i) => (i === columns.length - 1 ? 6 : CELL_PADDING),
    paddingTop: (i) => (i < firstItem - 1 ? 0 : kinds[i - firstItem] === 'breakdown' ? 1 : 4),
    paddingBottom: (i) => (i < firstItem - 1 ? 6 : kinds[i + 1 - firstItem] === 'breakdown' ? 1 : 4),
  };
  return {
    margin: [0, 20, 0, 0],
    table: {
      headerRows: firstItem,
      keepWithHeaderRows: 1,
      dontBreakRows: true,
      // A 'fit' column not resolved by fitColumns sizes itself to this table alone.
      widths: columns.map((c) => (c.width === 'fit' ? 'auto' : c.width)),
      body,
    },
    layout,
  };
};

/** The totals, right-aligned under the lines and kept together on one page. */
export const totalsBlock = (totals: TotalLine[]): Content => {
  const kinds = totals.map((t) => t.kind ?? 'line');
  const body: TableCell[][] = totals.map((t, i) => {
    const kind = kinds[i];
    const style = kind === 'grand' ? { bold: true, fontSize: 11 } : kind === 'subtotal' ? { bold: true } : {};
    const label: TableCell = t.note
      ? { stack: [{ text: t.label, ...style }, { text: t.note, fontSize: 7.5, color: COLOR.muted }] }
      : { text: t.label, ...style };
    return [label, { text: t.value, alignment: 'right', noWrap: true, ...style }];
  });
  return {
    unbreakable: true,
    margin: [0, 16, 0, 0],
    columns: [
      { width: '*', text: '' },
      {
        width: 290,
        table: { widths: ['*', 'auto'], body },
        layout: {
          hLineWidth: (i) => (i > 0 && i < totals.length && kinds[i] !== 'line' ? (kinds[i] === 'grand' ? 0.8 : 0.5) : 0),
          hLineColor: (i) => (kinds[i] === 'grand' ? COLOR.strongRule : COLOR.rule),
          vLineWidth: () => 0,
          fillColor: (i) => (kinds[i] === 'grand' ? COLOR.grandFill : null),
          paddingLeft: () => 6,
          paddingRight: () => 6,
          paddingTop: (i) => (kinds[i] === 'grand' ? 6 : 3),
          paddingBottom: (i) => (kinds[i] === 'grand' ? 6 : 3),
        },
      },
    ],
  };
};

export const closingNoteBlock = (note: string): Content => ({ text: note, margin: [0, 28, 0, 0], color: COLOR.muted, fontSize: 8 });

export const pageFooter =
  (reference: string, pageLabel: DocumentLayout['pageLabel']) =>
  (page: number, pageCount: number, _size: ContextPageSize): Content => ({
    margin: [PAGE_MARGINS[0], 20, PAGE_MARGINS[2], 0],
    columns: [
      { text: reference, color: COLOR.muted, fontSize: 7.5 },
      { text: pageLabel(page, pageCount), color: COLOR.muted, fontSize: 7.5, alignment: 'right' },
    ],
  });

export const documentDefinition = (layout: DocumentLayout): TDocumentDefinitions => ({
  pageSize: 'A4',
  pageMargins: PAGE_MARGINS,
  info: { ...layout.info, creator: 'Billow', producer: 'Billow' },
  defaultStyle: { font: DOCUMENT_FONT, fontSize: FONT_SIZE, color: COLOR.text, lineHeight: 1.15 },
  footer: pageFooter(layout.reference, layout.pageLabel),
  content: [
    headerBlock(layout),
    partiesBlock(layout.issuer, layout.recipient),
    ...(layout.sections.length > 0
      ? fitColumns(layout.sections).map(linesTable)
      : [{ text: layout.noLinesText, color: COLOR.muted, margin: [0, 20, 0, 0] } as Content]),
    totalsBlock(layout.totals),
    ...(layout.closingNote ? [closingNoteBlock(layout.closingNote)] : []),
  ],
});
