/*
 * mail_version - the name and version Tern announces.
 *
 * MAIL_NAME is the default of mail_name (the SMTP banner says "ESMTP
 * Tern"), MAIL_VERSION_NUMBER the default of mail_version, and
 * MAIL_RELEASE_DATE the default of mail_release_date (YYYYMMDD).
 */
#ifndef TERN_MAIL_VERSION_H
#define TERN_MAIL_VERSION_H

#define MAIL_NAME "Tern"
#define MAIL_VERSION_NUMBER "0.1.0"
#define MAIL_RELEASE_DATE "20250101"

#endif
