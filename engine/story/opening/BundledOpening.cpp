#include "engine/story/opening/BundledOpening.h"

namespace recurrent::engine {

namespace {

constexpr std::string_view kText = R"(# The Salt Archive

## Chapter 1

The fog came into Hollin's Reach every evening at the same hour, and every evening Mara Quill climbed the lighthouse stair to meet it. She counted the steps out of habit, one hundred and twelve of them, worn into shallow bowls by her father's boots and his father's before him. At the top the great lamp waited under its canvas hood like a sleeping animal. She pulled the hood away, trimmed the wick, and struck the match. The flame took, the lens caught it, and a long white arm swung out across the water toward the rocks that had drowned more ships than anyone in the town liked to remember.

Below her the harbour was settling for the night. Fishing boats knocked against the quay, gulls argued over the last of the catch, and lamps came on one by one in the windows of Water Street. Mara could name every house by its light. The baker's was yellow and steady. The widow Pell kept a green shade on hers, so that it glowed like a bottle in the dark. At the end of the street, where the road bent toward the cliffs, the old customs house stood dark, as it had stood dark for eleven years, ever since the night the Archive closed its doors.

Her father had been the last keeper of the Archive. He never spoke of it, not even when he had been drinking, and Mara had learned not to ask. She knew only what the town knew: that the Archive had held the records of every ship that passed the Reach, every cargo and every sailor lost, written in salt-stained ledgers that filled three floors of the customs house. She knew that one winter morning the doors had been chained, and that her father had come home with his hands shaking and had never gone back.

Tonight, though, there was a light in the customs house. Mara saw it first as a flicker, so faint that she thought it was the reflection of her own lamp on the wet glass. Then it moved. It passed from one window to the next on the second floor, slow and careful, the way a person walks when they are looking for something in the dark. She stood very still with her hand on the brass rail and watched it cross the building and vanish.

"You're late coming down," her father said when she reached the kitchen. Tobias Quill sat by the stove with a mug of tea going cold between his hands. He was a big man gone thin, and the firelight found every line in his face. Mara hung her coat on the hook by the door and did not answer at once. She was thinking about the light, and about the way it had moved, and about whether she should tell him at all.

"There's someone in the customs house," she said at last. Her father's mug stopped halfway to his mouth. For a long moment the only sound was the kettle ticking as it cooled. Then he set the mug down on the table with great care, as if it might break, and looked at her with an expression she had never seen before. "No," he said. "There isn't. The doors are chained, and the chain is rusted through. Nobody has been in there for eleven years."

"I saw a light," Mara said. "On the second floor. It went from window to window." Tobias stood up so quickly that his chair scraped against the stone floor. He went to the window and stared out into the fog, though there was nothing to see from the kitchen but the dark shape of the quay and the glow of the lamp above them. When he turned back to her, his voice was low and rough. "Promise me you won't go near it," he said. "Whatever you think you saw, promise me."

She promised, because he asked it, and because she had never seen him afraid. But that night she lay awake listening to the foghorn and the slow breathing of the sea, and she could not stop thinking about the ledgers. Three floors of names. Every ship, every cargo, every sailor lost. Somewhere in those books was the reason her father's hands still shook when the wind came from the north, and the reason her mother had left on the morning ferry when Mara was six and had never written since.

In the morning the fog had lifted, and Hollin's Reach looked ordinary again. Ansel the ferryman was already at the quay, coiling rope and whistling through the gap in his teeth. He was the oldest man in the town and the only one who still talked about the Archive as if it were a living thing. "Strange tide last night," he said when Mara passed. "Brought in a boat with no name on her bow. Tied up at the north steps before dawn, and nobody has come to claim her." He nodded toward the far end of the harbour, where a small grey boat rode low in the water, its sail furled and its deck empty.

Mara walked to the north steps and looked down at the boat. It was old, older than anything in the harbour, with a hull patched in a dozen places and a cabin no bigger than a cupboard. On the seat in the stern lay a ledger bound in cracked blue leather, swollen with damp. She knew what it was at once, though she had never held one. The mark of the Archive was pressed into the cover: a lamp above three waves. And across the first page, in handwriting she would have known anywhere, someone had written her father's name.

She did not take the ledger. She told herself afterwards that it was because of her promise, but the truth was simpler: she was afraid of what else she might find written inside it. She stood on the steps with the wind pulling at her hair until the church bell rang eight, and then she walked back along Water Street with her hands in her pockets, past the baker's and the widow Pell's and the chained doors of the customs house. The chain was still there. But the rust on it had been scraped away, and the links shone in the thin morning light as if someone had polished them.

At noon a stranger came into the Anchor and asked for a room. The landlady, Bett Harrow, told the story to everyone who would listen for the rest of the day. He was tall, she said, and soaked to the skin, and he paid in coins so old that she had to hold them up to the window to read them. He gave his name as Corvin Ash. He wanted a room that looked out on the customs house, and when she asked what business brought him to the Reach at this time of year, he only smiled and said that he had come to return something that was borrowed a long time ago.
)";

} // namespace

const BundledOpening &bundledOpening() {
  static const BundledOpening opening{"The Salt Archive", "mystery", "English", kText};
  return opening;
}

} // namespace recurrent::engine
