# capture stage: whole capture files, as PacketSource::open_buffer sees them.
tattle_fuzz_target(pcap_file DEPS tattle_capture)
tattle_fuzz_target(pcapng_file DEPS tattle_capture SOURCE fuzz_pcap_file.cpp)
tattle_fuzz_target(gzip_file DEPS tattle_capture)
tattle_fuzz_target(privacy_report DEPS tattle_capture)
tattle_fuzz_target(keystrokes DEPS tattle_capture)
