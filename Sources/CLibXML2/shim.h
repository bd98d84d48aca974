#ifndef MOMAUDIT_CLIBXML2_SHIM_H
#define MOMAUDIT_CLIBXML2_SHIM_H
// Debian's libxml2 pulls in ICU headers that clash with Foundation's in debug
// builds ('UErrorCode' has different definitions); the reader never needs ICU.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>

// xmlFree is a global function-pointer variable, which Swift 6 rejects.
static inline void cxml_free(void *p) { xmlFree(p); }
#endif
