# paycore: the commands the README documents. Everything that needs Kafka or
# ClickHouse starts them through deploy/stack.sh.
.PHONY: demo test bench stack-up stack-down stack-status build generate

# Bring the stack up and run the main job.
demo: build
	deploy/stack.sh up
	eval "$$(deploy/stack.sh env)" && ./paycore demo

# Run all tests, starting Kafka and ClickHouse when they are not running.
test:
	deploy/test.sh

# Benchmarks (not tests): raw baseline and scenarios, medians of 3 runs.
bench:
	deploy/stack.sh up
	eval "$$(deploy/stack.sh env)" && go run ./loadtest/cmd/paycore-load baseline

build:
	go build -o paycore ./services/cmd/paycore

generate:
	go generate ./...

stack-up:
	deploy/stack.sh up
stack-down:
	deploy/stack.sh down
stack-status:
	deploy/stack.sh status
