# Writes a C++ include that embeds files as byte arrays (used for the web page, see
# src/server/web_assets.cpp, and the OpenAPI description, src/server/openapi.cpp). Run at
# build time by CMake:
#   cmake -DOUTPUT=out.inc -DINPUT_DIR=web -DFILES=index.html,app.css,app.js [-DVAR=kName] \
#         -P embed_files.cmake
# The include defines `const EmbeddedFile VAR[]` ({name, bytes, size} per file; VAR defaults to
# kEmbeddedWeb). Each byte array ends with an extra 0 that `size` does not count.
if(NOT DEFINED VAR)
  set(VAR kEmbeddedWeb)
endif()
set(body "// Generated from ${INPUT_DIR} by cmake/embed_files.cmake; do not edit.\n")
set(table "const EmbeddedFile ${VAR}[] = {\n")
set(i 0)
string(REPLACE "," ";" files "${FILES}")
foreach(name IN LISTS files)
  file(READ "${INPUT_DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){32})" "\\1\n" bytes "${bytes}")
  string(APPEND body "const unsigned char ${VAR}_${i}[] = {\n${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", ${VAR}_${i}, ${size}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "};\n")
file(WRITE "${OUTPUT}.tmp" "${body}${table}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
