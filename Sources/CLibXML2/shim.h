#ifndef MOMAUDIT_CLIBXML2_SHIM_H
#define MOMAUDIT_CLIBXML2_SHIM_H
// Debian's libxml2 pulls in ICU headers that clash with Foundation's in debug
// builds ('UErrorCode' has different definitions); the parser never needs ICU.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/encoding.h>

// xmlFree is a global function-pointer variable, which Swift 6 rejects.
static inline void cxml_free(void *p) { xmlFree(p); }

// libxml2 prints some errors (encoding conversion, I/O) through its generic
// handler, whatever the parser options, and they can quote input bytes. The
// handler is variadic, so it is set here in C: nothing of a document ever
// reaches stderr; the reader reports errors through its structured handler.
static void cxml_discard_error(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }
static inline void cxml_silence_generic_errors(void) { xmlSetGenericErrorFunc(NULL, cxml_discard_error); }
#endif
