ringfence_cc_binary(NAME ringfence SRCS ringfence_main.cc
  DEPS tools_pki_command tools_synth_command tools_release_command)
