# Detect and enrich stages: the files users give (catalog, policy, app map, tag lists).
tattle_fuzz_target(user_files DEPS tattle_detect tattle_enrich)
