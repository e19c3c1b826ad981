/* The version every program reports and every recording carries. */
#ifndef VITALS_VERSION_H
#define VITALS_VERSION_H
#define VT_VERSION "0.1.0"
#endif
