# Decrypt stage: the key logs users and pcapng files give.
tattle_fuzz_target(keylog DEPS tattle_decrypt)
tattle_fuzz_target(tls_record DEPS tattle_decrypt)
tattle_fuzz_target(tls_decrypt DEPS tattle_dissect tattle_decrypt)
