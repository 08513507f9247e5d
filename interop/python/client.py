"""A Python client for the TypeScript TaskManager server.

It proves the contract is language-neutral: this file knows nothing of
TypeScript, only protos/task_manager.proto (through stubs generated from it).

    /usr/bin/python3 interop/python/generate.py /tmp/taskmanager-stubs
    PYTHONPATH=/tmp/taskmanager-stubs /usr/bin/python3 interop/python/client.py \
        --address localhost:50051 [--watch-title "Write the proto"]

It calls every RPC and checks the answers, including the error codes: the
unary ones, ImportTasks (client streaming: a generator of requests, one
summary back) and SyncTasks (bidirectional: commands from a queue, read while
the answers come back). With --watch-title it then opens WatchTasks, prints
WATCHING, and waits for another client to create, update and delete a task
with that title.

Output: one JSON line per check ({"check", "ok", ...}), the WATCHING line, then
one JSON summary line. Exit status: 0 if every check passed, 1 if one failed
(the checks stop at the first failure, since later ones build on earlier ones),
2 if the client could not start (bad arguments, stubs not generated).
"""

import argparse
import json
import queue
import sys
import uuid
from datetime import datetime

import grpc

try:
    import task_manager_pb2 as pb
    import task_manager_pb2_grpc as pb_grpc
except ImportError:
    print(
        "client.py: cannot import task_manager_pb2: generate the stubs first\n"
        "  /usr/bin/python3 interop/python/generate.py /tmp/taskmanager-stubs\n"
        "and put that folder on PYTHONPATH:\n"
        "  PYTHONPATH=/tmp/taskmanager-stubs /usr/bin/python3 interop/python/client.py --address HOST:PORT",
        file=sys.stderr,
    )
    sys.exit(2)

# Every unary call gets a deadline, as every call in production should: without
# one, a stuck server makes the client wait for ever.
DEADLINE_S = 5.0

TODO = pb.TASK_STATUS_TODO
IN_PROGRESS = pb.TASK_STATUS_IN_PROGRESS


class CheckFailed(Exception):
    """A check saw an answer other than the one the contract promises."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def expect_error(code, method, request):
    """Calls `method` and returns the error details, provided it fails with `code`."""
    try:
        method(request, timeout=DEADLINE_S)
    except grpc.RpcError as error:
        expect(error.code() == code, f"expected {code.name}, got {error.code().name}: {error.details()}")
        return error.details()
    raise CheckFailed(f"expected {code.name}, but the call succeeded")


def status_name(status):
    return pb.TaskStatus.Name(status)


def summary(task):
    """The fields of a task worth printing, as plain JSON values."""
    return {"id": task.id, "title": task.title, "status": status_name(task.status), "tags": list(task.tags)}


# --- The checks. Each returns details to print, or raises CheckFailed. ------


def check_create(stub, state):
    request = pb.CreateTaskRequest(
        title="Written in Python", description="by interop/python/client.py", tags=[state["tag"], "python"]
    )
    task = stub.CreateTask(request, timeout=DEADLINE_S).task
    expect(task.id != "", "the new task has no id")
    expect(task.title == request.title, f"title is {task.title!r}")
    expect(task.description == request.description, f"description is {task.description!r}")
    expect(list(task.tags) == list(request.tags), f"tags are {list(task.tags)}")
    expect(task.status == TODO, f"status is {status_name(task.status)}, expected TASK_STATUS_TODO")
    expect(task.created_at == task.updated_at, "a new task has created_at != updated_at")
    # The proto promises ISO-8601 UTC strings such as "2026-01-31T09:30:00.000Z".
    expect(task.created_at.endswith("Z"), f"created_at {task.created_at!r} is not in UTC (no trailing Z)")
    datetime.fromisoformat(task.created_at.replace("Z", "+00:00"))  # raises if it is not ISO-8601
    state["task"] = task
    return summary(task)


def check_create_blank_title(stub, state):
    details = expect_error(grpc.StatusCode.INVALID_ARGUMENT, stub.CreateTask, pb.CreateTaskRequest(title="   "))
    return {"code": "INVALID_ARGUMENT", "details": details}


def check_get(stub, state):
    task = stub.GetTask(pb.GetTaskRequest(id=state["task"].id), timeout=DEADLINE_S).task
    # Messages compare field by field: this is the very task CreateTask returned.
    expect(task == state["task"], f"GetTask returned {summary(task)}, not the created task")
    return summary(task)


def check_get_missing(stub, state):
    missing_id = f"no-such-task-{uuid.uuid4()}"
    details = expect_error(grpc.StatusCode.NOT_FOUND, stub.GetTask, pb.GetTaskRequest(id=missing_id))
    expect(missing_id in details, f"details {details!r} do not name the id {missing_id!r}")
    return {"code": "NOT_FOUND", "details": details}


def check_update_with_title(stub, state):
    # `optional string title` has presence: setting it, even to "", is visible to the server.
    request = pb.UpdateTaskRequest(id=state["task"].id, title="Renamed from Python")
    expect(request.HasField("title"), "title should be present in the request")
    task = stub.UpdateTask(request, timeout=DEADLINE_S).task
    expect(task.title == "Renamed from Python", f"title is {task.title!r}")
    expect(task.status == TODO, f"status changed to {status_name(task.status)} though none was sent")
    state["task"] = task
    return summary(task)


def check_update_without_title(stub, state):
    # No title in the request: HasField is False, so the server must keep the title.
    request = pb.UpdateTaskRequest(id=state["task"].id, status=IN_PROGRESS)
    expect(not request.HasField("title"), "title should be absent from the request")
    task = stub.UpdateTask(request, timeout=DEADLINE_S).task
    expect(task.title == "Renamed from Python", f"title changed to {task.title!r} though none was sent")
    expect(task.status == IN_PROGRESS, f"status is {status_name(task.status)}")
    expect(task.updated_at >= state["task"].updated_at, "updated_at moved backwards")
    state["task"] = task
    return summary(task)


def check_update_empty_title(stub, state):
    # Present but empty is not the same as absent: the server rejects it.
    request = pb.UpdateTaskRequest(id=state["task"].id, title="")
    expect(request.HasField("title"), "an empty title set explicitly should still be present")
    details = expect_error(grpc.StatusCode.INVALID_ARGUMENT, stub.UpdateTask, request)
    return {"code": "INVALID_ARGUMENT", "details": details}


def check_list(stub, state):
    mine = state["task"]  # IN_PROGRESS, tags [run tag, "python"]
    other = stub.CreateTask(pb.CreateTaskRequest(title="Another Python task", tags=[state["tag"]]), timeout=DEADLINE_S).task
    state["other"] = other

    def ids(request):
        return [task.id for task in stub.ListTasks(request, timeout=DEADLINE_S).tasks]

    everything = ids(pb.ListTasksRequest())
    expect(mine.id in everything and other.id in everything, "ListTasks without a filter misses a task")

    # The `filter` oneof: setting `status` (or `tag`) picks that member.
    by_status = pb.ListTasksRequest(status=IN_PROGRESS)
    expect(by_status.WhichOneof("filter") == "status", "the oneof should hold status")
    in_progress = stub.ListTasks(by_status, timeout=DEADLINE_S).tasks
    expect(all(task.status == IN_PROGRESS for task in in_progress), "the status filter let another status through")
    expect(mine.id in [task.id for task in in_progress], "the status filter misses the IN_PROGRESS task")
    expect(other.id not in [task.id for task in in_progress], "the status filter returned a TODO task")

    by_tag = pb.ListTasksRequest(tag=state["tag"])
    expect(by_tag.WhichOneof("filter") == "tag", "the oneof should hold tag")
    expect(sorted(ids(by_tag)) == sorted([mine.id, other.id]), "the tag filter did not return exactly this run's tasks")
    expect(ids(pb.ListTasksRequest(tag="python")).count(mine.id) == 1, "the tag filter misses the second tag")
    return {"all": len(everything), "status=IN_PROGRESS": len(in_progress), f"tag={state['tag']}": 2}


def check_delete(stub, state):
    task = state["task"]
    deleted = stub.DeleteTask(pb.DeleteTaskRequest(id=task.id), timeout=DEADLINE_S).task
    expect(deleted == task, "DeleteTask did not return the task as it was")
    expect_error(grpc.StatusCode.NOT_FOUND, stub.GetTask, pb.GetTaskRequest(id=task.id))
    details = expect_error(grpc.StatusCode.NOT_FOUND, stub.DeleteTask, pb.DeleteTaskRequest(id=task.id))
    stub.DeleteTask(pb.DeleteTaskRequest(id=state["other"].id), timeout=DEADLINE_S)  # tidy up
    return {"deleted": summary(deleted), "second delete": "NOT_FOUND", "details": details}


def check_import(stub, state):
    """Client streaming: the requests go out from a generator, one summary comes back."""
    tag = f"{state['tag']}-import"
    items = [
        pb.ImportTasksRequest(task=pb.CreateTaskRequest(title="Imported from Python 1", tags=[tag])),
        pb.ImportTasksRequest(task=pb.CreateTaskRequest(title="   ", tags=[tag])),
        pb.ImportTasksRequest(),  # no task at all: a message field left unset
        pb.ImportTasksRequest(task=pb.CreateTaskRequest(title="Imported from Python 2", tags=[tag])),
    ]
    # When the generator is exhausted, grpc half-closes the call; the server then answers.
    summary = stub.ImportTasks(iter(items), timeout=DEADLINE_S)
    rejected = [{"index": item.index, "reason": item.reason} for item in summary.rejected]
    expect(summary.created_count == 2, f"created_count is {summary.created_count}, expected 2")
    expect([item["index"] for item in rejected] == [1, 2], f"rejected {rejected}, expected items 1 and 2")
    expect("title" in rejected[0]["reason"], f"the reason for item 1 does not name the title: {rejected[0]['reason']!r}")
    stored = stub.ListTasks(pb.ListTasksRequest(tag=tag), timeout=DEADLINE_S).tasks
    titles = sorted(task.title for task in stored)
    expect(titles == ["Imported from Python 1", "Imported from Python 2"], f"stored {titles}")
    for task in stored:  # tidy up
        stub.DeleteTask(pb.DeleteTaskRequest(id=task.id), timeout=DEADLINE_S)
    return {"created_count": summary.created_count, "rejected": rejected}


def check_import_limit(stub, state):
    """An import of more than the server takes is cut off with RESOURCE_EXHAUSTED."""
    tag = f"{state['tag']}-limit"
    items = (pb.ImportTasksRequest(task=pb.CreateTaskRequest(title=f"Bulk {n}", tags=[tag])) for n in range(2000))
    try:
        stub.ImportTasks(items, timeout=DEADLINE_S)
    except grpc.RpcError as error:
        expect(error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"expected RESOURCE_EXHAUSTED, got {error.code().name}")
        return {"code": "RESOURCE_EXHAUSTED", "details": error.details()}
    raise CheckFailed("an import of 2000 tasks succeeded: expected RESOURCE_EXHAUSTED")


def check_sync(stub, state):
    """Bidirectional streaming: each side writes while it reads, on one call.

    The commands come from a queue that the loop below fills as answers arrive:
    the update and delete need the id the create answer carries. None ends the
    generator, which half-closes; the server then ends the call, and the loop ends.
    """
    commands = queue.Queue()

    def requests():
        while (command := commands.get()) is not None:
            yield command

    commands.put(pb.SyncTasksRequest(create=pb.CreateTaskRequest(title="Synced from Python")))
    seen, task_id = [], None
    for response in stub.SyncTasks(requests(), timeout=DEADLINE_S):
        if response.WhichOneof("kind") == "event":
            if task_id is None or response.event.task.id == task_id:  # events of other clients pass by
                seen.append(f"event {pb.TaskEventType.Name(response.event.event_type).replace('TASK_EVENT_TYPE_', '')}")
            continue
        result = response.result
        seen.append(f"result #{result.command_index} {_code(result.code).name}")
        if result.command_index == 0:
            task_id = result.task.id
            commands.put(pb.SyncTasksRequest(update=pb.UpdateTaskRequest(id=task_id, status=pb.TASK_STATUS_DONE)))
            commands.put(pb.SyncTasksRequest(delete=pb.DeleteTaskRequest(id=task_id)))
            commands.put(pb.SyncTasksRequest(delete=pb.DeleteTaskRequest(id=task_id)))  # gone by now
            commands.put(None)
    expected = [
        "event CREATED",
        "result #0 OK",
        "event UPDATED",
        "result #1 OK",
        "event DELETED",
        "result #2 OK",
        "result #3 NOT_FOUND",
    ]
    expect(seen == expected, f"the session saw {seen}")
    return {"session": seen}


def _code(number):
    """The grpc.StatusCode whose number is `number` (CommandResult.code travels as an int32)."""
    return next(code for code in grpc.StatusCode if code.value[0] == number)


def check_watch(stub, state):
    """Waits for CREATED, UPDATED and DELETED of the task titled --watch-title, made by someone else."""
    title, timeout_s = state["watch_title"], state["watch_timeout"]
    # A stream's deadline covers the whole call, so this bounds the wait for events.
    stream = stub.WatchTasks(pb.WatchTasksRequest(), timeout=timeout_s)
    # Tell whoever drives the changes that the call is open. (The server may register
    # it a moment later; the test waits for the server's own word on that too.)
    print("WATCHING", flush=True)
    task_id, events = None, []
    try:
        for event in stream:
            # Recognise the task by title when it is created, then follow its id
            # (an update may rename it).
            if task_id is None and event.event_type == pb.TASK_EVENT_TYPE_CREATED and event.task.title == title:
                task_id = event.task.id
            if task_id is None or event.task.id != task_id:
                continue
            events.append(event)
            if event.event_type == pb.TASK_EVENT_TYPE_DELETED:
                break
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
        seen = [pb.TaskEventType.Name(event.event_type) for event in events]
        raise CheckFailed(f"saw {seen or 'no events'} for a task titled {title!r} within {timeout_s} s")
    finally:
        stream.cancel()  # stop watching: the server sees CANCELLED and forgets this watcher

    types = [pb.TaskEventType.Name(event.event_type).replace("TASK_EVENT_TYPE_", "") for event in events]
    expect(types == ["CREATED", "UPDATED", "DELETED"], f"events were {types}")
    return {"events": [{"type": kind, **summary(event.task)} for kind, event in zip(types, events)]}


CHECKS = [
    ("CreateTask", check_create),
    ("CreateTask blank title -> INVALID_ARGUMENT", check_create_blank_title),
    ("GetTask", check_get),
    ("GetTask missing id -> NOT_FOUND", check_get_missing),
    ("UpdateTask with optional title", check_update_with_title),
    ("UpdateTask without title keeps it", check_update_without_title),
    ("UpdateTask empty title -> INVALID_ARGUMENT", check_update_empty_title),
    ("ListTasks all / by status / by tag", check_list),
    ("DeleteTask, then NOT_FOUND", check_delete),
    ("ImportTasks stream -> summary", check_import),
    ("ImportTasks over the limit -> RESOURCE_EXHAUSTED", check_import_limit),
    ("SyncTasks session, both ways", check_sync),
    ("WatchTasks sees another client's changes", check_watch),
]


def report(**fields):
    print(json.dumps(fields), flush=True)


def main():
    parser = argparse.ArgumentParser(description="Check the TaskManager contract from Python.")
    parser.add_argument("--address", required=True, help="server address, host:port")
    parser.add_argument("--watch-title", help="title of the task another client will create, update and delete")
    parser.add_argument("--watch-timeout", type=float, default=10.0, help="seconds to wait for those events")
    parser.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to wait for the connection")
    args = parser.parse_args()

    # Plain TCP to the given address: never route it through an http_proxy from the environment.
    channel = grpc.insecure_channel(args.address, options=[("grpc.enable_http_proxy", 0)])
    try:
        grpc.channel_ready_future(channel).result(timeout=args.connect_timeout)
    except grpc.FutureTimeoutError:
        report(check="connect", ok=False, error=f"could not connect to {args.address} within {args.connect_timeout} s")
        report(summary="FAILED", passed=0, failed=1, not_run=len(CHECKS))
        return 1

    stub = pb_grpc.TaskManagerStub(channel)
    # A tag of our own, so the checks work on a server that already holds tasks.
    state = {"tag": f"py-{uuid.uuid4().hex[:8]}", "watch_title": args.watch_title, "watch_timeout": args.watch_timeout}
    checks = CHECKS if args.watch_title else CHECKS[:-1]
    passed = 0
    with channel:
        for name, check in checks:
            try:
                detail = check(stub, state)
            except CheckFailed as failure:
                report(check=name, ok=False, error=str(failure))
                break
            except grpc.RpcError as error:
                report(check=name, ok=False, error=f"unexpected {error.code().name}: {error.details()}")
                break
            report(check=name, ok=True, detail=detail)
            passed += 1
    if not args.watch_title:
        report(check=CHECKS[-1][0], skipped="no --watch-title given")

    failed = len(checks) - passed
    if failed == 0:
        report(summary="PASSED", passed=passed, failed=0)
        return 0
    report(summary="FAILED", passed=passed, failed=1, not_run=failed - 1)
    return 1


if __name__ == "__main__":
    sys.exit(main())
