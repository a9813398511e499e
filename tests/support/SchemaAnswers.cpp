#include "tests/support/SchemaAnswers.h"

namespace recurrent::test {

using nlohmann::json;

json SchemaAnswers::fill(const json &schema, const std::string &name, int call) {
  std::string type = schema.value("type", "string");
  if (schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty())
    return schema["enum"][0];
  if (type == "object") {
    json out = json::object();
    if (schema.contains("properties"))
      for (auto &[key, sub] : schema["properties"].items())
        out[key] = fill(sub, key, call);
    return out;
  }
  if (type == "array") {
    std::size_t n = schema.value("minItems", 3);
    if (n == 0)
      n = 3;
    if (schema.contains("maxItems"))
      n = std::min<std::size_t>(n, schema["maxItems"].get<std::size_t>());
    json out = json::array();
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(fill(schema.value("items", json{{"type", "string"}}), name + " " + std::to_string(i + 1), call));
    return out;
  }
  if (type == "integer" || type == "number")
    return 1;
  if (type == "boolean")
    return false;
  if (name == "paragraph" || name.rfind("paragraphs", 0) == 0)
    return "In answer " + std::to_string(call) + " the " + name +
           " moves on. The harbour lights flickered as Mara counted the crates. Nobody spoke of the storm.";
  return name + " from answer " + std::to_string(call) + ".";
}

json SchemaAnswers::answer(const FakeRequest &request) {
  int call = ++calls_;
  const json &body = request.json;
  if (body.is_object() && body.contains("response_format")) {
    const json &format = body["response_format"];
    if (format.contains("json_schema") && format["json_schema"].contains("schema"))
      return fill(format["json_schema"]["schema"], "answer", call);
  }
  return json::object();
}

FakeResponse SchemaAnswers::respond(const FakeRequest &request) { return chatStream(answer(request).dump()); }

FakeLlmServer::Handler SchemaAnswers::handler() {
  return [this](const FakeRequest &request) {
    if (request.path == "/v1/chat/completions")
      return respond(request);
    return FakeResponse::error(404, "not scripted");
  };
}

} // namespace recurrent::test
