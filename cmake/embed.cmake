# Writes OUT, a C file that holds IN's bytes as the array NAME (NUL-ended) and
# NAME_len: the OpenAPI document the server answers at GET /v1/openapi.json.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" hex
       "${hex}")
file(WRITE ${OUT} "/* Made by cmake/embed.cmake from ${IN}; do not edit. */\n"
     "#include <stddef.h>\n"
     "const char ${NAME}[] = {\n${hex}0x00};\n"
     "const size_t ${NAME}_len = sizeof(${NAME}) - 1;\n")
