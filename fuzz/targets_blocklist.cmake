# Blocklist: a tattle report as `tattle blocklist` reads it, through selection and every format.
tattle_fuzz_target(blocklist_report DEPS tattle_blocklist)
