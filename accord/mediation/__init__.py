"""Labour-dispute mediation (劳动争议调解): organisations, mediators, cases on the law's clock,
agreements e-signed through 福易签, referral to arbitration, statistics (issue #14)."""
