# Writes ${OUTPUT}: the ftcnn version plus the git revision of the tree being built ("0.1.0+g1a2b3c4", with
# "-dirty" when it has uncommitted changes). Run at every build; the file is only rewritten when it changes,
# so an unchanged revision does not trigger recompilation.
execute_process(COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=10
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR revision STREQUAL "")
  set(revision "unknown")
endif()
set(content "#pragma once\n#define FTCNN_VERSION_STRING \"${VERSION}+g${revision}\"\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
