/* eval/datasets/ed_util: the small text and file-system tools every benchmark adapter shares:
 * an RFC 4180 CSV/TSV reader (quoted fields with separators, doubled quotes and newlines; line
 * numbers for error messages), a line reader for "ID TEXT" files (trans.txt, wav.scp, meta.txt),
 * a sorted directory listing, path joining, and a string->string lookup table.
 *
 * Usage (CSV with a header):
 *   qa_ed_csv c;
 *   if ((s = qa_ed_csv_open(&c, path, ',', 1))) return s;
 *   int got;
 *   if ((s = qa_ed_csv_next(&c, &got)) || !got) ...;      // header row: c.fields[0..c.nf)
 *   int col = qa_ed_csv_col(&c, "file_name");              // -1 when absent
 *   while (!(s = qa_ed_csv_next(&c, &got)) && got) { use c.fields[col], c.row_line }
 *   qa_ed_csv_close(&c);
 * or, with required columns and rows as wide as the header:
 *   static const char *const names[2] = {"file_name", "answer"};
 *   int col[2];
 *   if ((s = qa_ed_csv_header(&c, names, 2, col, "file_name and answer"))) ...;
 *   while (!(s = qa_ed_csv_row(&c, &got)) && got) { use c.fields[col[i]] }
 * Field pointers stay valid until the next qa_ed_csv_next call. Blank lines are skipped.
 * The line reader (qa_ed_lines) serves "ID TEXT" files; qa_ed_load_transcripts fills a map
 * from one. */
#ifndef QA_EVAL_DATASETS_ED_UTIL_H
#define QA_EVAL_DATASETS_ED_UTIL_H

#include <stddef.h>

#include "core/status.h"

typedef struct {
    char *path;       /* file being read (for messages) */
    char *data;       /* whole file, NUL-terminated */
    size_t len, pos;
    char sep;         /* ',' or '\t' */
    int quoting;      /* 1: '"' quotes fields (RFC 4180); 0: no quoting (CoVoST/Common Voice tsv) */
    char escape;      /* 0, or '\\': outside quotes it makes the next character literal (set after
                       * open; pandas escapechar, used by the CoVoST tsv files) */
    size_t line;      /* 1-based line number of data[pos] */
    size_t row_line;  /* line on which the last returned row started */
    char *buf;        /* unescaped field text, fields NUL-separated */
    size_t buf_len, buf_cap;
    size_t *offs;     /* (nf) start offsets of the fields in buf */
    char **fields;    /* (nf) pointers into buf, rebuilt for each row */
    int nf, cap;
    int nhead;        /* fields in the header row once qa_ed_csv_header read it, else 0 */
} qa_ed_csv;

qa_status qa_ed_csv_open(qa_ed_csv *c, const char *path, char sep, int quoting);
/* Same over a memory buffer (copied); `name` stands for the file in messages. */
qa_status qa_ed_csv_open_mem(qa_ed_csv *c, const char *name, const char *data, size_t len, char sep, int quoting);
/* Reads the next non-blank row; *got = 0 at end of file. Malformed input (unterminated quote,
 * text after a closing quote) is QA_ERR_FORMAT naming the file and line. */
qa_status qa_ed_csv_next(qa_ed_csv *c, int *got);
/* Column index of `name` in the current row (compared after trimming spaces), or -1. */
int qa_ed_csv_col(const qa_ed_csv *c, const char *name);
/* Reads the header row and sets cols[i] to the index of names[i] (i < n). A missing header or
 * column is QA_ERR_FORMAT "FILE:1: header has no column 'X' (expected <expected>)". */
qa_status qa_ed_csv_header(qa_ed_csv *c, const char *const *names, int n, int *cols, const char *expected);
/* qa_ed_csv_next for the data rows after qa_ed_csv_header: a row whose field count differs from
 * the header's is QA_ERR_FORMAT naming the file and line. */
qa_status qa_ed_csv_row(qa_ed_csv *c, int *got);
/* Safe on a zeroed reader and after a failed open (so a cleanup label can always call it). */
void qa_ed_csv_close(qa_ed_csv *c);

/* Line reader: the file is read whole; lines are returned without "\r\n"; a UTF-8 BOM is
 * dropped. `line` is the 1-based number of the returned line. */
typedef struct {
    char *path;
    char *data;
    size_t len, pos, line;
} qa_ed_lines;

qa_status qa_ed_lines_open(qa_ed_lines *r, const char *path);
/* Returns 1 and sets *out to the next line (modifiable, NUL-terminated), 0 at end of file. */
int qa_ed_lines_next(qa_ed_lines *r, char **out);
void qa_ed_lines_close(qa_ed_lines *r);

/* Splits "KEY<space or tab>REST" in place: *key = first token, *rest = the remainder with leading
 * blanks removed (may be ""). Returns 0 when the line has no key. */
int qa_ed_split_key(char *line, char **key, char **rest);
/* Trims ASCII whitespace at both ends, in place; returns s. */
char *qa_ed_trim(char *s);

/* Path helpers. qa_ed_join returns a malloc'd "a/b" (b absolute -> copy of b), NULL on OOM. */
char *qa_ed_join(const char *a, const char *b);
char *qa_ed_join3(const char *a, const char *b, const char *c);
int qa_ed_is_file(const char *path);
int qa_ed_is_dir(const char *path);
/* Last path component (pointer into path). */
const char *qa_ed_basename(const char *path);

/* Sorted listing of `dir`: sub-folders (want_dirs=1) or regular files whose name ends with
 * `suffix` (case-insensitive; NULL = any). Hidden entries are ignored. Names compare in natural
 * order (digit runs numerically), so 2 < 10. Free with qa_ed_names_free. */
qa_status qa_ed_list_dir(const char *dir, int want_dirs, const char *suffix, char ***names, int *n);
void qa_ed_names_free(char **names, int n);

/* A string->string table, filled then sorted once and searched by binary search. */
typedef struct qa_ed_map {
    char **keys, **vals;
    int n, cap;
    int sorted;
} qa_ed_map;

/* Reads an "ID word word ..." transcript file (AISHELL-1, AISHELL-2 trans.txt) into m: ID -> the
 * text with its word-segmentation spaces removed. Lines without a key are skipped; a key without
 * text is QA_ERR_FORMAT naming the file and line. */
qa_status qa_ed_load_transcripts(qa_ed_map *m, const char *path);

qa_status qa_ed_map_put(qa_ed_map *m, const char *key, const char *val);
/* Sorts (first call) and looks up; NULL when absent. Duplicate keys: the first one put wins. */
const char *qa_ed_map_get(qa_ed_map *m, const char *key);
void qa_ed_map_free(qa_ed_map *m);

/* malloc'd copy of s with every ASCII space and tab removed (Chinese transcripts are written
 * word-segmented; the eval references are not). NULL on OOM. */
char *qa_ed_strip_spaces(const char *s);
/* malloc'd printf. NULL on OOM. */
char *qa_ed_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
