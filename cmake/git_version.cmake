# Writes DST from the template SRC with EDGENT_GIT_HASH set to `git describe` of ROOT.
# Run at every build (see lib/CMakeLists.txt); configure_file rewrites DST only when its
# content changes, so an unchanged commit triggers no recompilation.
set(EDGENT_GIT_HASH "unknown")
if(GIT AND EXISTS "${ROOT}/.git")
  execute_process(COMMAND "${GIT}" describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY "${ROOT}"
                  OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND hash)
    set(EDGENT_GIT_HASH "${hash}")
  endif()
endif()
configure_file("${SRC}" "${DST}" @ONLY)
