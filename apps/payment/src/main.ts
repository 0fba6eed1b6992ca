import 'reflect-metadata';
import { main } from '@paystream/platform';
import { paymentService } from './payment.service-definition';

main(paymentService);
