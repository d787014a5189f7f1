/* core/version: the qaudio release string printed by `qaudio --version`. */
#ifndef QA_CORE_VERSION_H
#define QA_CORE_VERSION_H
#define QA_VERSION "0.1.0"
#endif
