# The folder of MODELS=dir:<folder> as an image, so the ML tier's build can read files that lie
# outside the repository (scripts/build-images builds it; empty for the other sources).
FROM scratch
COPY . /
