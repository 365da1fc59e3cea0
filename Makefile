# Front door only: `make run` and `make test`. Every build rule lives in meson.build.
all:
	@sh tools/deps.sh build
	@[ -f build/build.ninja ] || meson setup build
	@ninja -C build
run:
	@sh tools/run.sh
test:
	@sh tests/all.sh
clean:
	rm -rf build build-asan build-rel
.PHONY: all run test clean
