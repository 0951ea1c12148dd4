/** A bare QoS 1 subscriber that only counts messages: the broker's delivery limit. Prints the count on SIGTERM. */
import mqtt from 'mqtt';

const client = mqtt.connect(process.argv[2]!, { clientId: 'baseline-subscriber' });
let n = 0;
client.on('connect', () => client.subscribe('application/+/device/+/event/up', { qos: 1 }, () => console.log('ready')));
client.on('message', () => {
  n++;
  if (n % 1000 === 0) console.log(`count ${n}`);
});
process.on('SIGTERM', () => process.exit(0));
