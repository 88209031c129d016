"""Validating and running a graph the way ComfyUI does (ComfyUI execution.py at v0.3.64).

validate_prompt(prompt) returns (ok, error, outputs, node_errors): every node must name a known
class; at least one node must be an output; from each output the inputs are checked recursively —
required inputs present, links [node_id, output_index] pointing at an existing node whose output
has the type the input takes, values converted to INT/FLOAT/STRING within min/max, and values
from a list (such as ckpt_name) one of the list. Errors carry ComfyUI's types and messages, so a
client sees the same node_errors it would get from ComfyUI.

execute(prompt, outputs) runs the nodes the outputs need, each once, and returns the outputs'
"ui" results, or raises ExecutionFailed with ComfyUI's execution_error fields.
"""

import sys
import traceback

import nodes


def full_type_name(klass):
    module = klass.__module__
    return klass.__qualname__ if module == "builtins" else module + "." + klass.__qualname__


def input_info(spec):
    return spec[0], (spec[1] if len(spec) > 1 else {})


def convert(input_type, value):
    if input_type == "INT":
        return int(value)
    if input_type == "FLOAT":
        return float(value)
    if input_type == "STRING":
        return str(value)
    return value


def check_value(name, input_type, extra, value):
    """The error for a widget value, or None (the value is converted in place by the caller)."""
    info = [input_type, extra]
    if "min" in extra and value < extra["min"]:
        return {"type": "value_smaller_than_min", "message": f"Value {value} smaller than min of {extra['min']}", "details": name, "extra_info": {"input_name": name, "input_config": info, "received_value": value}}
    if "max" in extra and value > extra["max"]:
        return {"type": "value_bigger_than_max", "message": f"Value {value} bigger than max of {extra['max']}", "details": name, "extra_info": {"input_name": name, "input_config": info, "received_value": value}}
    if isinstance(input_type, list) and value not in input_type:
        shown = f"(list of length {len(input_type)})" if len(input_type) > 20 else str(input_type)
        return {"type": "value_not_in_list", "message": "Value not in list", "details": f"{name}: '{value}' not in {shown}", "extra_info": {"input_name": name, "input_config": info if len(input_type) <= 20 else None, "received_value": value}}
    return None


def validate_inputs(prompt, unique_id, validated):
    if unique_id in validated:
        return validated[unique_id]
    inputs = prompt[unique_id]["inputs"]
    klass = nodes.NODE_CLASS_MAPPINGS[prompt[unique_id]["class_type"]]
    declared = klass.INPUT_TYPES()
    errors = []
    valid = True
    for category in ("required", "optional"):
        for name, spec in declared.get(category, {}).items():
            input_type, extra = input_info(spec)
            if name not in inputs:
                if category == "required":
                    errors.append({"type": "required_input_missing", "message": "Required input is missing", "details": name, "extra_info": {"input_name": name}})
                continue
            value = inputs[name]
            if isinstance(value, list):
                if len(value) != 2:
                    errors.append({"type": "bad_linked_input", "message": "Bad linked input, must be a length-2 list of [node_id, slot_index]", "details": name, "extra_info": {"input_name": name, "received_value": value}})
                    continue
                linked_id = value[0]
                # a link to a node the graph lacks (or names it by a number) raises here, as in ComfyUI
                received = nodes.NODE_CLASS_MAPPINGS[prompt[linked_id]["class_type"]].RETURN_TYPES[value[1]]
                if received != input_type:
                    errors.append({"type": "return_type_mismatch", "message": "Return type mismatch between linked nodes", "details": f"{name}, received_type({received}) mismatch input_type({input_type})", "extra_info": {"input_name": name, "received_type": received, "linked_node": value}})
                    continue
                if validate_inputs(prompt, linked_id, validated)[0] is False:
                    valid = False
                continue
            try:
                value = convert(input_type, value)
                inputs[name] = value
            except Exception as ex:
                errors.append({"type": "invalid_input_type", "message": f"Failed to convert an input value to a {input_type} value", "details": f"{name}, {value}, {ex}", "extra_info": {"input_name": name, "received_value": value, "exception_message": str(ex)}})
                continue
            problem = check_value(name, input_type, extra, value)
            if problem:
                errors.append(problem)
    result = (not errors and valid, errors, unique_id)
    validated[unique_id] = result
    return result


def validate_prompt(prompt):
    if not isinstance(prompt, dict):
        return False, {"type": "invalid_prompt", "message": "Cannot execute because the prompt is not an object of nodes.", "details": "", "extra_info": {}}, [], {}
    outputs = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return False, {"type": "invalid_prompt", "message": "Cannot execute because a node is missing the class_type property.", "details": f"Node ID '#{node_id}'", "extra_info": {}}, [], {}
        klass = nodes.NODE_CLASS_MAPPINGS.get(node["class_type"])
        if klass is None:
            return False, {"type": "invalid_prompt", "message": f"Cannot execute because node {node['class_type']} does not exist.", "details": f"Node ID '#{node_id}'", "extra_info": {}}, [], {}
        node.setdefault("inputs", {})
        if getattr(klass, "OUTPUT_NODE", False):
            outputs.append(node_id)
    if not outputs:
        return False, {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}}, [], {}
    good, failed, node_errors, validated = [], [], {}, {}
    for out in outputs:
        try:
            ok, reasons, _ = validate_inputs(prompt, out, validated)
        except Exception as ex:
            ok = False
            reasons = [{"type": "exception_during_validation", "message": "Exception when validating node", "details": str(ex), "extra_info": {"exception_type": full_type_name(type(ex)), "traceback": traceback.format_tb(sys.exc_info()[2])}}]
            validated[out] = (False, reasons, out)
        if ok:
            good.append(out)
            continue
        failed.append((out, reasons))
        for node_id, (node_ok, node_reasons, _) in validated.items():
            if not node_ok and node_reasons:
                entry = node_errors.setdefault(node_id, {"errors": node_reasons, "dependent_outputs": [], "class_type": prompt[node_id]["class_type"]})
                entry["dependent_outputs"].append(out)
        print(f"Failed to validate prompt for output {out}:", flush=True)
        for node_id, entry in node_errors.items():
            for r in entry["errors"]:
                print(f"* {entry['class_type']} {node_id}: {r['message']}: {r['details']}", flush=True)
    if not good:
        details = "\n".join(f"{r['message']}: {r['details']}" for _, reasons in failed for r in reasons)
        return False, {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": details, "extra_info": {}}, [], node_errors
    return True, None, good, node_errors


class ExecutionFailed(Exception):
    def __init__(self, data):
        super().__init__(data["exception_message"])
        self.data = data


def execute(prompt, outputs, prompt_id, log=print):
    """Runs what the outputs need; returns ({node_id: ui}, executed node ids)."""
    results, executed, ui = {}, [], {}

    def run(node_id):
        if node_id in results:
            return results[node_id]
        node = prompt[node_id]
        klass = nodes.NODE_CLASS_MAPPINGS[node["class_type"]]
        args = {}
        for name, value in node["inputs"].items():
            args[name] = run(value[0])[value[1]] if isinstance(value, list) else value
        if klass is nodes.SaveImage:
            args["prompt"] = prompt
        try:
            out = getattr(klass(), klass.FUNCTION)(**args)
        except Exception as ex:
            raise ExecutionFailed({
                "prompt_id": prompt_id, "node_id": node_id, "node_type": node["class_type"], "executed": list(executed),
                "exception_message": str(ex), "exception_type": full_type_name(type(ex)),
                "traceback": traceback.format_tb(sys.exc_info()[2]),
                "current_inputs": {k: v for k, v in node["inputs"].items() if not isinstance(v, list)},
                "current_outputs": list(outputs),
            }) from ex
        if isinstance(out, dict):
            ui[node_id] = out.get("ui", {})
            out = out.get("result", ())
        results[node_id] = out
        executed.append(node_id)
        log(f"executed node {node_id} ({node['class_type']})")
        return out

    for o in outputs:
        run(o)
    return ui, executed
